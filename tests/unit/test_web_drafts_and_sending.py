"""Drafts against a real (SQLite) database: two first saves at once make one draft, a
stale draft is ignored until the next change replaces it; sending keeps the draft when
intake cannot take it yet; the filer register is fetched once a minute, not per page."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_web import drafts, filer_register
from cabinet_web.accounts import Role
from cabinet_web.backend import Backend
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import FILER
from cabinet_web.journey.sending import send
from cabinet_web.migrations import SCHEMA
from cabinet_web.sessions import CurrentUser
from cabinet_web.tables import Draft
from tests.unit.form_type_examples import example

VAT = example("vat-return")
USER = CurrentUser("filer-1", "Filer A", Role.FILER, "dept", "filer-a")
OBLIGATION = {
    "obligation_id": "ob-1",
    "filer_id": "filer-a",
    "form_type_id": "vat-return",
    "period_key": "2026-Q4",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "due_date": "2027-02-07",
    "status": "open",
}


def new_filing(draft: Draft | None = None, stale: Draft | None = None) -> Filing:
    return Filing(
        lane=FILER,
        user=USER,
        obligation=OBLIGATION,
        submission_id=None,
        acknowledgement_reference=None,
        form_type_version=1,
        definition=VAT,
        latest=None,
        draft=draft,
        filer_name="Filer A",
        stale_draft=stale,
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    await migrate_engine(engine, SCHEMA)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def draft_ids(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(Draft.draft_id)))


async def test_two_first_saves_at_once_make_one_draft(sessions: Sessions) -> None:
    # Both requests loaded the return before either saved: neither saw a draft.
    first, second = new_filing(), new_filing()
    async with sessions() as session, session.begin():
        made = await first.ensure_draft(session)
        drafts.save_answers(made, {"box1": "100"})
    async with sessions() as session:
        async with session.begin():
            found = await second.ensure_draft(session)  # its INSERT loses: it takes the first
            drafts.save_answers(found, {"box2": "5"})
        assert found.draft_id == made.draft_id
    assert await draft_ids(sessions) == [made.draft_id]
    async with sessions() as session:
        saved = await drafts.find_draft(session, "ob-1", FILER.channel)
        assert saved is not None
        assert saved.answers == {"box1": "100", "box2": "5"}


async def test_a_stale_draft_is_replaced_by_the_next_change(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        old = await new_filing().ensure_draft(session)
    async with sessions() as session:
        async with session.begin():
            stale = await drafts.find_draft(session, "ob-1", FILER.channel)
        filing = new_filing(stale=stale)
        assert filing.draft is None  # the pages ignore it ...
        assert await draft_ids(sessions) == [old.draft_id]  # ... and leave it be
        async with session.begin():
            fresh = await filing.ensure_draft(session)
    assert fresh.draft_id != old.draft_id
    assert await draft_ids(sessions) == [fresh.draft_id]


@pytest.mark.parametrize(
    "intake_answer",
    [
        httpx.Response(404, json={"detail": "No such obligation"}),  # not heard of it yet
        httpx.Response(503, json={"detail": "Restarting"}),
        None,  # cannot be reached
    ],
)
async def test_a_return_intake_cannot_take_yet_is_kept_to_send_again(
    sessions: Sessions, intake_answer: httpx.Response | None
) -> None:
    def intake(request: httpx.Request) -> httpx.Response:
        if intake_answer is None:
            raise httpx.ConnectError("connection refused", request=request)
        return intake_answer

    backend = Backend("http://intake", "http://cycles", transport=httpx.MockTransport(intake))
    filing = new_filing()
    async with sessions() as session:
        async with session.begin():
            draft = await filing.ensure_draft(session)
        outcome = await send(backend.intake("dept"), session, filing, draft)
    await backend.close()
    assert (outcome.sent, outcome.moved_on, outcome.try_later) == (False, False, True)
    assert await draft_ids(sessions) == [draft.draft_id]


async def test_the_filer_register_is_fetched_once_a_minute_and_when_a_filer_is_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register = [{"filer_id": "filer-a", "name": "Acme Ltd"}]
    fetched: list[str] = []

    def cycles(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        return httpx.Response(200, json=register)

    backend = Backend("http://intake", "http://cycles", transport=httpx.MockTransport(cycles))
    filer_register.forget()
    clock = [1000.0]
    monkeypatch.setattr(filer_register, "clock", lambda: clock[0])
    assert await filer_register.filer_name(backend, "dept", "filer-a") == "Acme Ltd"
    assert await filer_register.filer_name(backend, "dept", "filer-a") == "Acme Ltd"
    assert await filer_register.filer_names(backend, "dept") == {"filer-a": "Acme Ltd"}
    assert fetched == ["/departments/dept/filers"]

    register.append({"filer_id": "filer-b", "name": "Birch & Co"})
    assert await filer_register.filer_name(backend, "dept", "filer-b") == "Birch & Co"
    assert len(fetched) == 2  # a filer not in the copy kept: fetched at once

    register[0]["name"] = "Acme Holdings Ltd"
    clock[0] += filer_register.FRESH_SECONDS + 1
    assert await filer_register.filer_name(backend, "dept", "filer-a") == "Acme Holdings Ltd"
    assert len(fetched) == 3
    filer_register.forget()
    await backend.close()


async def test_each_department_has_its_own_register() -> None:
    def cycles(request: httpx.Request) -> httpx.Response:
        department = request.url.path.split("/")[2]
        return httpx.Response(200, json=[{"filer_id": "f", "name": f"F of {department}"}])

    backend = Backend("http://intake", "http://cycles", transport=httpx.MockTransport(cycles))
    filer_register.forget()
    assert await filer_register.filer_name(backend, "one", "f") == "F of one"
    assert await filer_register.filer_name(backend, "two", "f") == "F of two"
    filer_register.forget()
    await backend.close()
