"""Operators' API for dead letters, one department at a time. Cycles serves it because it
is the operators' backend already (dashboard, quarters, Temporal links), reads Kafka as a
consumer anyway, and owns the register that says which obligation belongs to which
department: a dead letter is shown to a department only when its key is one of that
department's obligations, form types (``<department>/<form type>``) or quarters. Records
with no such key (undecodable ones) are for the platform's `cabinet-dlq` command."""

from datetime import UTC, datetime
from typing import cast

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import STAFF
from cabinet_common.messaging import dead_letters
from cabinet_common.messaging.dead_letters import DeadLetter
from cabinet_common.problems import Problem, responses
from cabinet_common.service import DbSession
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import Obligation

# Staff, as on the web's dead-letters page (operators, caseworkers and admins).
router = APIRouter(
    prefix="/departments/{department_id}/dead-letters",
    tags=["operations"],
    dependencies=[DEPARTMENT_MEMBERS, allow(STAFF)],
)


class DeadLetterOut(BaseModel):
    ref: str
    topic: str
    original_topic: str
    key: str
    event_type: str
    event_id: str
    reason: str
    consumer: str
    dead_lettered_at: datetime
    age_seconds: int
    redriven_at: datetime | None
    # A notice of an outbox row Kafka refused for good: never sent, so not re-drivable.
    set_aside: bool


class RedriveIn(BaseModel):
    refs: list[str]


class RedriveOut(BaseModel):
    redriven: list[DeadLetterOut]


def _settings(request: Request) -> CyclesSettings:
    return cast(CyclesSettings, request.app.state.settings)


def _key(letter: DeadLetter) -> str:
    return letter.key.decode(errors="replace") if letter.key is not None else ""


async def _of_department(
    session: DbSession, department_id: str, letters: list[DeadLetter]
) -> list[DeadLetter]:
    keys = {_key(letter) for letter in letters}
    obligations = set(
        (
            await session.scalars(
                select(Obligation.obligation_id).where(
                    Obligation.department_id == department_id,
                    Obligation.obligation_id.in_(keys),
                )
            )
        ).all()
    )
    prefixes = (f"{department_id}/", f"quarter:{department_id}:")
    return [
        letter
        for letter in letters
        if _key(letter) in obligations or _key(letter).startswith(prefixes)
    ]


def _out(letter: DeadLetter, now: datetime) -> DeadLetterOut:
    return DeadLetterOut(
        ref=letter.ref,
        topic=letter.topic,
        original_topic=letter.original_topic,
        key=_key(letter),
        event_type=letter.event_type,
        event_id=letter.event_id,
        reason=letter.reason,
        consumer=letter.consumer,
        dead_lettered_at=letter.dead_lettered_at,
        age_seconds=int(letter.age(now)),
        redriven_at=letter.redriven_at,
        set_aside=letter.set_aside,
    )


@router.get("", response_model=list[DeadLetterOut])
async def list_dead_letters(
    department_id: str, session: DbSession, request: Request, include_redriven: bool = False
) -> list[DeadLetterOut]:
    """The department's dead letters, oldest first; by default only those waiting."""
    letters = await dead_letters.read_dead_letters(_settings(request))
    if not include_redriven:
        letters = dead_letters.waiting(letters)
    now = datetime.now(UTC)
    return [_out(letter, now) for letter in await _of_department(session, department_id, letters)]


@router.post(
    "/redrive",
    response_model=RedriveOut,
    responses=responses(
        {
            404: "No such dead letter in this department",
            409: "A notice of an outbox row Kafka refused: never sent, so not re-drivable",
        }
    ),
)
async def redrive(
    department_id: str, body: RedriveIn, session: DbSession, request: Request
) -> RedriveOut:
    """Send these dead letters back to their topics, with their original headers and
    event ids (consumers that had applied them drop them)."""
    letters = await _of_department(
        session, department_id, await dead_letters.read_dead_letters(_settings(request))
    )
    by_ref = {letter.ref: letter for letter in letters}
    unknown = [ref for ref in body.refs if ref not in by_ref]
    if unknown:
        raise Problem(404, "NO_SUCH_DEAD_LETTER", f"No such dead letter here: {', '.join(unknown)}")
    try:
        redriven = await dead_letters.redrive(_settings(request), [by_ref[r] for r in body.refs])
    except dead_letters.NotRedrivable as error:
        raise Problem(409, "NOT_REDRIVABLE", str(error)) from error
    now = datetime.now(UTC)
    return RedriveOut(redriven=[_out(letter, now) for letter in redriven])
