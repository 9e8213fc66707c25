"""The receipts step: add receipts one at a time (a file and its line), remove them, and
for a correction keep the receipts that were not returned (or leave them out). A file
chosen with a line that needs correcting is held, so it need not be chosen again."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from cabinet_common.receipt_files import MAX_FILE_BYTES, display_name, inline_disposition
from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.backend import Apis, NotFound, segment
from cabinet_web.formatting import LONDON
from cabinet_web.forms import Problems
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import Lane
from cabinet_web.journey.pages import filing_dependencies, journey_page, see_other
from cabinet_web.receipt_file_response import receipt_file_response
from cabinet_web.receipt_form import (
    ReceiptRules,
    named_categories,
    read_line,
    rules_for,
    screen_upload,
)

LINE_FIELDS = ("date-day", "date-month", "date-year", "amount", "payee", "category")


def add_receipt_routes(router: APIRouter, lane: Lane) -> None:
    base = lane.prefix + "/{obligation_id}/receipts"
    deps = filing_dependencies(lane)

    @router.get(base)
    async def receipts(request: Request, filing: Annotated[Filing, deps.sendable]) -> Response:
        added = request.query_params.get("added") == "1"
        return _receipts_page(request, filing, {}, None, added=added)

    @router.post(base)
    async def add_receipt(
        request: Request, filing: Annotated[Filing, deps.sendable], session: DbSession
    ) -> Response:
        form = await request.form()
        posted = {key: str(form.get(key, "")) for key in LINE_FIELDS}
        upload = form.get("file")
        content, name = await _read_upload(upload)
        # Continue is in the same form as Add receipt, so a receipt filled in and then
        # continued from is added (or its problems shown), never dropped.
        then = "check" if form.get("action") == "continue" else "receipts?added=1"
        nothing_entered = content is None and not any(v.strip() for v in posted.values())
        if then == "check" and nothing_entered and filing.pending_file is None:
            return see_other(f"{filing.base}/check")
        problems = Problems()
        media_type = None
        if content is not None or filing.pending_file is None:
            media_type = screen_upload(content, problems)
        line = read_line(posted, _rules(filing), problems)
        async with session.begin():
            draft = await filing.ensure_draft(session)
            held = drafts.pending_file(draft)
            if content is not None and media_type is not None:
                held = drafts.hold_file(draft, name, media_type, content)
            if line is not None and held is not None and not problems:
                drafts.complete_receipt(draft, held, line)
        if problems:
            return _receipts_page(request, filing, posted, problems, status_code=400)
        return see_other(f"{filing.base}/{then}")

    @router.get(base + "/{receipt_id}/file")
    async def receipt_file(
        receipt_id: str, filing: Annotated[Filing, deps.opened], apis: Apis, session: DbSession
    ) -> Response:
        """A receipt's file: one added to the draft, or one of the version sent before."""
        added = next((r for r in filing.added_receipts if r.receipt_id == receipt_id), None)
        if added is not None and filing.draft is not None:
            async with session.begin():
                content = await drafts.receipt_content(session, filing.draft.draft_id, receipt_id)
            return _file(content or b"", added.media_type, added.file_name)
        sent = next((r for r in filing.latest_receipts if r["receipt_id"] == receipt_id), None)
        if sent is None or filing.submission_id is None:
            raise NotFound(receipt_id)
        fetched = await apis.intake(filing.user.department_id).get_bytes(
            f"/submissions/{segment(filing.submission_id)}/receipts/{segment(receipt_id)}/file"
        )
        return _file(fetched.content, sent["media_type"], sent["file_name"])

    @router.get(base + "/{receipt_id}/remove")
    async def confirm_removal(
        request: Request, receipt_id: str, filing: Annotated[Filing, deps.sendable]
    ) -> Response:
        receipt = _removable(filing, receipt_id)
        return journey_page(
            request,
            filing,
            "returns/remove_receipt.html",
            "Are you sure you want to remove this receipt?",
            receipt=receipt,
        )

    @router.post(base + "/{receipt_id}/remove")
    async def remove(
        receipt_id: str, filing: Annotated[Filing, deps.sendable], session: DbSession
    ) -> Response:
        _removable(filing, receipt_id)
        async with session.begin():
            draft = await filing.ensure_draft(session)
            if not drafts.remove_receipt(draft, receipt_id):
                draft.keep_receipt_ids = [r for r in draft.keep_receipt_ids if r != receipt_id]
        return see_other(f"{filing.base}/receipts")

    @router.post(base + "/{receipt_id}/keep")
    async def keep(
        receipt_id: str, filing: Annotated[Filing, deps.sendable], session: DbSession
    ) -> Response:
        """Put back a receipt of the version sent before that was left out."""
        if receipt_id not in {r["receipt_id"] for r in filing.left_out_receipts}:
            raise NotFound(receipt_id)
        async with session.begin():
            draft = await filing.ensure_draft(session)
            draft.keep_receipt_ids = [*draft.keep_receipt_ids, receipt_id]
        return see_other(f"{filing.base}/receipts")


async def _read_upload(upload: object) -> tuple[bytes | None, str]:
    """The file chosen (None if none was: browsers send an empty part without a name)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, ""
    content = await upload.read(MAX_FILE_BYTES + 1)
    return content, display_name(upload.filename)


def _removable(filing: Filing, receipt_id: str) -> dict[str, object]:
    """A receipt the filer can remove: one added to the draft, or one kept from before."""
    for added in filing.added_receipts:
        if added.receipt_id == receipt_id:
            return {
                "receipt_id": added.receipt_id,
                "payee": added.payee,
                "amount_pence": added.amount_pence,
                "date": added.date,
                "category": added.category,
                "file_name": added.file_name,
                "kept": False,
            }
    for kept in filing.kept_receipts:
        if kept["receipt_id"] == receipt_id:
            return {**kept, "kept": True}
    raise NotFound(receipt_id)


def _file(content: bytes, media_type: str, file_name: str) -> Response:
    return receipt_file_response(content, media_type, inline_disposition(file_name))


def _rules(filing: Filing) -> ReceiptRules:
    return rules_for(
        filing.definition,
        date.fromisoformat(filing.obligation["period_start"]),
        date.fromisoformat(filing.obligation["period_end"]),
        datetime.now(LONDON).date(),
    )


def _receipts_page(
    request: Request,
    filing: Filing,
    values: dict[str, str],
    problems: Problems | None,
    status_code: int = 200,
    added: bool = False,
) -> Response:
    receipt_problems = {
        str(p["receipt_id"]): str(p["message"])
        for p in (filing.draft.send_problems if filing.draft else [])
        if p.get("receipt_id")
    }
    rules = _rules(filing)
    shown = problems or Problems()
    for receipt_id, message in receipt_problems.items():
        shown.add(f"receipt-{receipt_id}", message)
    return journey_page(
        request,
        filing,
        "returns/receipts.html",
        "Add receipts",
        problems=shown,
        status_code=status_code,
        values=values,
        categories=named_categories(filing.definition),
        receipt_problems=receipt_problems,
        added=added,
        # A date the form takes: in the period, and not after today.
        example_date=min(rules.period_end, rules.today),
    )
