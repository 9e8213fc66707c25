"""What a closing quarter is waiting for. Its audit pack is sealed only once every
obligation's final status change has reached this service over Kafka; if one of those
events went to a dead-letter topic the close would wait without end. So the wait names
the obligations still missing (in its logs, its activity heartbeat and the period's API),
each with any dead letter keyed by it, and finishes as soon as an operator re-drives
them."""

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.messaging.dead_letters import DeadLetter, read_dead_letters, waiting
from cabinet_common.obligation_workflow import SETTLED
from cabinet_common.quarter_workflow import QuarterKey
from cabinet_common.settings import CommonSettings
from cabinet_cycles.tables import Obligation

# Named in full up to this many; a count says how many more.
LISTED = 50


class MissingStatus(BaseModel):
    obligation_id: str
    filer_id: str
    # The last status this service has recorded; the workflow has settled it since.
    status_here: str
    # Dead letters (topic/partition/offset) of events about it, waiting for a re-drive.
    dead_letters: list[str] = []


class CloseWaits(BaseModel):
    unsettled: int
    obligations: list[MissingStatus]


async def unsettled_obligations(session: AsyncSession, key: QuarterKey) -> list[Obligation]:
    settled = [s.value for s in SETTLED]
    return list(
        (
            await session.scalars(
                select(Obligation)
                .where(
                    Obligation.department_id == key.department_id,
                    Obligation.form_type_id == key.form_type_id,
                    Obligation.period_key == key.period_key,
                    Obligation.status.not_in(settled),
                )
                .order_by(Obligation.obligation_id)
            )
        ).all()
    )


def describe(
    unsettled: list[Obligation], dead_letters: list[DeadLetter] | None = None
) -> CloseWaits:
    by_key: dict[str, list[str]] = {}
    for letter in waiting(dead_letters or []):
        if letter.key is not None:
            by_key.setdefault(letter.key.decode(errors="replace"), []).append(letter.ref)
    return CloseWaits(
        unsettled=len(unsettled),
        obligations=[
            MissingStatus(
                obligation_id=o.obligation_id,
                filer_id=o.filer_id,
                status_here=o.status,
                dead_letters=by_key.get(o.obligation_id, []),
            )
            for o in unsettled[:LISTED]
        ],
    )


async def close_waits(
    session: AsyncSession, key: QuarterKey, kafka: CommonSettings
) -> CloseWaits | None:
    """None when nothing is missing."""
    unsettled = await unsettled_obligations(session, key)
    if not unsettled:
        return None
    return describe(unsettled, await read_dead_letters(kafka))
