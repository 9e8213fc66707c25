"""Changing a receipt in place (the receipts page's and check answers' Change link): the
draft receipt keeps its id, its place and, unless another is chosen, its file; what intake
said about it before is dropped."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_web import drafts
from cabinet_web.migrations import SCHEMA
from cabinet_web.receipt_form import ReceiptLine
from tests.unit.test_web_drafts_and_sending import new_filing


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    await migrate_engine(engine, SCHEMA)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


TAXI = ReceiptLine(date(2026, 11, 3), 1240, "Kerbside Taxis", "travel")
PAPER = ReceiptLine(date(2026, 11, 9), 599, "Paper Co", "stationery")


async def _draft_with_two_receipts(sessions: Sessions) -> tuple[str, str, str]:
    filing = new_filing()
    async with sessions() as session, session.begin():
        draft = await filing.ensure_draft(session)
        for name, line in (("taxi.pdf", TAXI), ("paper.png", PAPER)):
            held = drafts.hold_file(draft, name, "application/pdf", name.encode())
            drafts.complete_receipt(draft, held, line)
        first, second = drafts.added_receipts(draft)
        draft.send_problems = [
            {"receipt_id": first.receipt_id, "message": "The file could not be opened"},
            {"receipt_id": second.receipt_id, "message": "Another problem"},
        ]
        return draft.draft_id, first.receipt_id, second.receipt_id


async def test_a_changed_line_keeps_the_receipts_id_place_and_file(sessions: Sessions) -> None:
    draft_id, first_id, second_id = await _draft_with_two_receipts(sessions)
    changed = ReceiptLine(date(2026, 11, 4), 1300, "Kerbside Cabs", "travel")
    async with sessions() as session, session.begin():
        draft = await drafts.find_draft(session, "ob-1", "online")
        assert draft is not None
        receipt = drafts.added_receipt(draft, first_id)
        assert receipt is not None
        drafts.change_receipt(draft, receipt, changed, None)
    async with sessions() as session, session.begin():
        draft = await drafts.find_draft(session, "ob-1", "online")
        assert draft is not None
        first, second = drafts.added_receipts(draft)
        assert (first.receipt_id, second.receipt_id) == (first_id, second_id)
        assert (first.date, first.amount_pence, first.payee) == (
            "2026-11-04",
            1300,
            "Kerbside Cabs",
        )
        assert first.file_name == "taxi.pdf"
        assert await drafts.receipt_content(session, draft_id, first_id) == b"taxi.pdf"
        # Only the changed receipt's old problem is gone.
        assert [p["receipt_id"] for p in draft.send_problems] == [second_id]


async def test_a_new_file_replaces_the_old_one(sessions: Sessions) -> None:
    draft_id, first_id, _ = await _draft_with_two_receipts(sessions)
    new_file = drafts.NewFile("taxi-clear.png", "image/png", b"\x89PNG clearer")
    async with sessions() as session, session.begin():
        draft = await drafts.find_draft(session, "ob-1", "online")
        assert draft is not None
        receipt = drafts.added_receipt(draft, first_id)
        assert receipt is not None
        drafts.change_receipt(draft, receipt, TAXI, new_file)
    async with sessions() as session, session.begin():
        draft = await drafts.find_draft(session, "ob-1", "online")
        assert draft is not None
        receipt = drafts.added_receipt(draft, first_id)
        assert receipt is not None
        assert (receipt.file_name, receipt.media_type, receipt.size_bytes) == (
            "taxi-clear.png",
            "image/png",
            len(new_file.content),
        )
        assert await drafts.receipt_content(session, draft_id, first_id) == new_file.content


async def test_a_pending_file_is_not_a_receipt_to_change(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        draft = await new_filing().ensure_draft(session)
        held = drafts.hold_file(draft, "held.pdf", "application/pdf", b"held")
        assert drafts.added_receipt(draft, held.receipt_id) is None
