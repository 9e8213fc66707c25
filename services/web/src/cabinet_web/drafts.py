"""Drafts in the web service's database: one per obligation and channel, made on the first
save, kept until the return is sent (or the submission moves on without it). Callers hold
the transaction; nothing here talks to another service."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_web.receipt_form import ReceiptLine
from cabinet_web.tables import Draft, DraftReceipt


@dataclass(frozen=True)
class DraftStart:
    """What a new draft starts from."""

    obligation_id: str
    department_id: str
    channel: str
    filer_id: str
    filer_name: str
    form_type_id: str
    form_type_version: int
    based_on_version: int | None
    answers: dict[str, str]
    keep_receipt_ids: list[str]
    keyed_by: str | None


def now() -> datetime:
    return datetime.now(UTC)


async def find_draft(session: AsyncSession, obligation_id: str, channel: str) -> Draft | None:
    draft: Draft | None = await session.scalar(
        select(Draft).where(Draft.obligation_id == obligation_id, Draft.channel == channel)
    )
    return draft


def new_draft(start: DraftStart) -> Draft:
    """A draft not yet saved (add it to the session to save it)."""
    moment = now()
    return Draft(
        draft_id=str(uuid.uuid4()),
        obligation_id=start.obligation_id,
        department_id=start.department_id,
        channel=start.channel,
        filer_id=start.filer_id,
        filer_name=start.filer_name,
        form_type_id=start.form_type_id,
        form_type_version=start.form_type_version,
        based_on_version=start.based_on_version,
        answers=dict(start.answers),
        keep_receipt_ids=list(start.keep_receipt_ids),
        keyed_by=start.keyed_by,
        idempotency_key=str(uuid.uuid4()),
        send_problems=[],
        created_at=moment,
        updated_at=moment,
        files=[],
    )


def touch(draft: Draft, keyed_by: str | None) -> None:
    draft.updated_at = now()
    if keyed_by is not None:
        draft.keyed_by = keyed_by


def save_answers(draft: Draft, answers: dict[str, str]) -> None:
    draft.answers = {**draft.answers, **answers}


def added_receipts(draft: Draft) -> list[DraftReceipt]:
    """The receipts added to this draft, in the order added (the pending file aside)."""
    return [r for r in draft.files if not r.pending]


def pending_file(draft: Draft) -> DraftReceipt | None:
    return next((r for r in draft.files if r.pending), None)


def hold_file(draft: Draft, file_name: str, media_type: str, content: bytes) -> DraftReceipt:
    """Keep a file chosen with a line that needs correcting, in place of any held before."""
    held = pending_file(draft)
    if held is not None:
        draft.files.remove(held)
    receipt = DraftReceipt(
        receipt_id=str(uuid.uuid4()),
        position=_next_position(draft),
        pending=True,
        file_name=file_name,
        media_type=media_type,
        size_bytes=len(content),
        content=content,
    )
    draft.files.append(receipt)
    return receipt


def complete_receipt(draft: Draft, receipt: DraftReceipt, line: ReceiptLine) -> None:
    """A held file becomes a receipt of the draft, with its line, after those added."""
    receipt.pending = False
    receipt.position = _next_position(draft)
    receipt.date = line.date.isoformat()
    receipt.amount_pence = line.amount_pence
    receipt.currency = "GBP"
    receipt.payee = line.payee
    receipt.category = line.category


def added_receipt(draft: Draft, receipt_id: str) -> DraftReceipt | None:
    return next((r for r in added_receipts(draft) if r.receipt_id == receipt_id), None)


@dataclass(frozen=True)
class NewFile:
    file_name: str
    media_type: str
    content: bytes


def change_receipt(
    draft: Draft, receipt: DraftReceipt, line: ReceiptLine, new_file: NewFile | None
) -> None:
    """A receipt of the draft changed in place (same id, same place in the list): its line,
    and its file only when another was chosen. What intake said about it before no longer
    stands."""
    receipt.date = line.date.isoformat()
    receipt.amount_pence = line.amount_pence
    receipt.payee = line.payee
    receipt.category = line.category
    if new_file is not None:
        receipt.file_name = new_file.file_name
        receipt.media_type = new_file.media_type
        receipt.size_bytes = len(new_file.content)
        receipt.content = new_file.content
    draft.send_problems = [
        p for p in draft.send_problems if p.get("receipt_id") != receipt.receipt_id
    ]


def remove_receipt(draft: Draft, receipt_id: str) -> bool:
    receipt = added_receipt(draft, receipt_id)
    if receipt is None:
        return False
    draft.files.remove(receipt)
    draft.send_problems = [p for p in draft.send_problems if p.get("receipt_id") != receipt_id]
    return True


def _next_position(draft: Draft) -> int:
    return max((r.position for r in draft.files), default=0) + 1


async def receipt_content(session: AsyncSession, draft_id: str, receipt_id: str) -> bytes | None:
    content: bytes | None = await session.scalar(
        select(DraftReceipt.content).where(
            DraftReceipt.draft_id == draft_id, DraftReceipt.receipt_id == receipt_id
        )
    )
    return content


async def draft_exists(session: AsyncSession, draft_id: str) -> bool:
    return (
        await session.scalar(select(Draft.draft_id).where(Draft.draft_id == draft_id)) is not None
    )


async def record_send_problems(
    session: AsyncSession, draft_id: str, problems: list[dict[str, str | None]]
) -> None:
    """What intake refused, for the pages to show (nothing if the draft has gone)."""
    await session.execute(
        update(Draft).where(Draft.draft_id == draft_id).values(send_problems=problems)
    )


async def delete_draft(session: AsyncSession, draft_id: str) -> None:
    await session.execute(delete(DraftReceipt).where(DraftReceipt.draft_id == draft_id))
    await session.execute(delete(Draft).where(Draft.draft_id == draft_id))


async def drafted(session: AsyncSession, obligation_ids: list[str], channel: str) -> set[str]:
    """Which of these obligations have a draft on this channel."""
    if not obligation_ids:
        return set()
    rows = await session.scalars(
        select(Draft.obligation_id).where(
            Draft.obligation_id.in_(obligation_ids), Draft.channel == channel
        )
    )
    return set(rows)
