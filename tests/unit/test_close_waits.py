"""A closing quarter names what it waits for: the obligations whose final status change
has not reached cycles, each with the waiting dead letters keyed by it (re-driven ones no
longer count), and nothing once every one is settled."""

from datetime import UTC, datetime

from cabinet_common.database import Sessions
from cabinet_common.messaging.dead_letters import DeadLetter
from cabinet_common.quarter_workflow import QuarterKey
from cabinet_cycles.close_waits import describe, unsettled_obligations
from tests.unit.test_cycles_dashboard_api import add, obligation, sessions

__all__ = ["sessions"]  # the fixture, shared with the dashboard tests

KEY = QuarterKey(department_id="demo", form_type_id="vat-return", period_key="2026-Q4")
AT = datetime(2026, 12, 1, tzinfo=UTC)


def dead_letter(key: str, offset: int, redriven: bool = False) -> DeadLetter:
    return DeadLetter(
        topic="obligation.status-changed.v1.dlq",
        partition=1,
        offset=offset,
        key=key.encode(),
        value=b"",
        headers=[("dlq_reason", b"failed")],
        dead_lettered_at=AT,
        redriven_at=AT if redriven else None,
    )


async def test_the_obligations_still_missing_their_final_status_are_named(
    sessions: Sessions,
) -> None:
    stuck, settled, other_quarter = (
        obligation("filer-a", "checking"),
        obligation("filer-b", "accepted"),
        obligation("filer-c", "open", period_key="2026-Q3"),
    )
    await add(sessions, stuck, settled, other_quarter, obligation("filer-d", "open"))
    async with sessions() as session:
        unsettled = await unsettled_obligations(session, KEY)
    waits = describe(
        unsettled,
        [
            dead_letter(stuck.obligation_id, 7),
            dead_letter(stuck.obligation_id, 3, redriven=True),
            dead_letter(settled.obligation_id, 9),
        ],
    )
    assert waits.unsettled == 2
    assert [(o.filer_id, o.status_here, o.dead_letters) for o in waits.obligations] == [
        ("filer-a", "checking", ["obligation.status-changed.v1.dlq/1/7"]),
        ("filer-d", "open", []),
    ]


async def test_nothing_is_missing_once_every_obligation_is_settled(sessions: Sessions) -> None:
    await add(sessions, obligation("filer-a", "accepted"), obligation("filer-b", "waived"))
    async with sessions() as session:
        assert await unsettled_obligations(session, KEY) == []
