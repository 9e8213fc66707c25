"""Sending a draft to intake: the submission JSON and the receipt files in one multipart
request, under the draft's own Idempotency-Key (a double click, or a retry after a crash,
sends the same key and is taken once). What intake refuses comes back as problems that
name the question or the receipt they are about, for the pages to show."""

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_web import drafts
from cabinet_web.answers_form import answers_to_send
from cabinet_web.backend import DepartmentApi, NotFound, Refused, segment
from cabinet_web.journey.filing import Filing
from cabinet_web.tables import Draft


@dataclass
class Outcome:
    sent: bool
    # Intake refused the request: each problem names a field_id or receipt_id, or neither.
    problems: list[dict[str, str | None]] = field(default_factory=list)
    # Refused because the submission already moved on (accepted, or sent from elsewhere).
    moved_on: bool = False
    # Not sent, for now: intake could not answer, or has not heard of the obligation yet
    # (it learns of it from an event that can lag). The draft is kept, to send again.
    try_later: bool = False


def submission_body(filing: Filing, draft: Draft) -> dict[str, Any]:
    body: dict[str, Any] = {
        "answers": answers_to_send(filing.definition, draft.answers),
        "declared_total_pence": filing.receipts_total(),
        "receipts": [
            {
                "date": r.date,
                "amount_pence": r.amount_pence,
                "currency": r.currency,
                "payee": r.payee,
                "category": r.category,
            }
            for r in drafts.added_receipts(draft)
        ],
    }
    if filing.mode == "correct":
        keep = set(draft.keep_receipt_ids)
        kept = [r["receipt_id"] for r in filing.keepable_receipts if r["receipt_id"] in keep]
        body["keep_receipt_ids"] = kept
        body["drop_receipt_ids"] = [
            r["receipt_id"] for r in filing.keepable_receipts if r["receipt_id"] not in keep
        ]
    if filing.lane.channel == "paper":
        # Intake records the caseworker the token names as having keyed it in.
        body["channel"] = "paper"
    return body


async def send(
    intake: DepartmentApi, session: AsyncSession, filing: Filing, draft: Draft
) -> Outcome:
    added = drafts.added_receipts(draft)
    files = []
    async with session.begin():  # ended before the request, which may take a while
        if not await drafts.draft_exists(session, draft.draft_id):
            return Outcome(sent=False, moved_on=True)  # a second click, after the first sent it
        for receipt in added:
            content = await drafts.receipt_content(session, draft.draft_id, receipt.receipt_id)
            if content is None:
                return Outcome(sent=False, moved_on=True)
            files.append(("receipts", (receipt.file_name, content, receipt.media_type)))
    try:
        await intake.post(
            f"/obligations/{segment(filing.obligation_id)}/submissions",
            data={"submission": json.dumps(submission_body(filing, draft))},
            files=files or None,
            headers={"Idempotency-Key": draft.idempotency_key},
        )
    except (httpx.HTTPError, NotFound):
        return Outcome(sent=False, try_later=True)
    except Refused as refused:
        if refused.status_code == 409:
            return Outcome(sent=False, moved_on=True, problems=[_general(refused.detail)])
        return Outcome(sent=False, problems=refused_problems(refused, added))
    return Outcome(sent=True)


def refused_problems(refused: Refused, added: list[Any]) -> list[dict[str, str | None]]:
    """Intake's 422 `errors`, each put where it belongs: an answer's field, a receipt (a
    file sent, by its position; a kept one, by id), or the return as a whole."""
    if not refused.errors:
        return [_general(refused.detail)]
    problems = []
    for error in refused.errors:
        message = str(error.get("detail", ""))
        number = error.get("file")
        if isinstance(number, int) and 1 <= number <= len(added):
            receipt = added[number - 1]
            suffix = f" ({error.get('file_name')}, file {number})"
            message = f"{message.removesuffix(suffix)} ({receipt.file_name})"
            problems.append(
                {"field_id": None, "receipt_id": receipt.receipt_id, "message": message}
            )
        elif error.get("receipt_id"):
            problems.append(
                {"field_id": None, "receipt_id": str(error["receipt_id"]), "message": message}
            )
        elif error.get("field"):
            problems.append(
                {"field_id": str(error["field"]), "receipt_id": None, "message": message}
            )
        else:
            problems.append(_general(message))
    return problems


def _general(message: str) -> dict[str, str | None]:
    return {"field_id": None, "receipt_id": None, "message": message}
