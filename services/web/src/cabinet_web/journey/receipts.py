"""The receipts step: add receipts one at a time (a file and its line), remove them, and
for a correction keep the receipts that were not returned (or leave them out). A file
chosen with a line that needs correcting is held, so it need not be chosen again.

A file chosen with nothing typed is read (receipt_prefill) and its line shown filled in
on a confirmation page, to confirm or correct; on the paper lane a PDF of several pages
becomes one line per page."""

import asyncio
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from cabinet_common.receipt_files import MAX_FILE_BYTES, PDF, display_name, inline_disposition
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
from cabinet_web.receipt_prefill import (
    found_anything,
    page_file_name,
    page_lines,
    page_values,
    prefilled,
    read_page_lines,
    read_upload,
    split_pages,
    typed_anything,
)
from cabinet_web.tables import DraftReceipt

LINE_FIELDS = ("date-day", "date-month", "date-year", "amount", "payee", "category")


def add_receipt_routes(router: APIRouter, lane: Lane) -> None:
    base = lane.prefix + "/{obligation_id}/receipts"
    deps = filing_dependencies(lane)

    @router.get(base)
    async def receipts(request: Request, filing: Annotated[Filing, deps.sendable]) -> Response:
        added = request.query_params.get("added") == "1"
        changed = request.query_params.get("changed") == "1"
        return _receipts_page(request, filing, {}, None, added=added, changed=changed)

    @router.post(base)
    async def add_receipt(
        request: Request, filing: Annotated[Filing, deps.sendable], session: DbSession, apis: Apis
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
        confirming = form.get("confirming") == "1"
        if content is not None and media_type is not None and not typed_anything(posted):
            # Nothing typed: the file is held, read, and its line shown to confirm.
            async with session.begin():
                draft = await filing.ensure_draft(session)
                drafts.hold_file(draft, name, media_type, content)
            reading = await read_upload(apis, filing.user.department_id, content, media_type)
            pages = page_lines(reading) if lane.channel == "paper" else []
            if pages:
                return _pages_page(request, filing, name, pages, None)
            values = {**prefilled(reading), "category": posted["category"]}
            return _confirm_page(request, filing, name, values, None, read=found_anything(values))
        line = read_line(posted, _rules(filing), problems)
        async with session.begin():
            draft = await filing.ensure_draft(session)
            held = drafts.pending_file(draft)
            if content is not None and media_type is not None:
                held = drafts.hold_file(draft, name, media_type, content)
            if line is not None and held is not None and not problems:
                drafts.complete_receipt(draft, held, line)
        if problems and confirming and filing.pending_file is not None:
            name = filing.pending_file.file_name
            return _confirm_page(request, filing, name, posted, problems, read=True)
        if problems:
            return _receipts_page(request, filing, posted, problems, status_code=400)
        return see_other(f"{filing.base}/{then}")

    @router.post(base + "/pages")
    async def add_page_receipts(
        request: Request, filing: Annotated[Filing, deps.sendable], session: DbSession
    ) -> Response:
        """The paper lane: one receipt per page of the PDF held, each line as confirmed."""
        if lane.channel != "paper":
            raise NotFound("pages")
        form = await request.form()
        async with session.begin():
            draft = await filing.ensure_draft(session)
            held = drafts.pending_file(draft)
            content = (
                await drafts.receipt_content(session, draft.draft_id, held.receipt_id)
                if held is not None and held.media_type == PDF
                else None
            )
        if held is None or content is None:
            return see_other(f"{filing.base}/receipts")
        pages = await asyncio.to_thread(split_pages, content)
        posted = page_values({k: str(v) for k, v in form.items()}, len(pages))
        problems = Problems()
        lines = read_page_lines(posted, _rules(filing), problems)
        if problems:
            return _pages_page(request, filing, held.file_name, posted, problems)
        async with session.begin():
            draft = await filing.ensure_draft(session)
            whole = drafts.pending_file(draft)
            if whole is not None:
                draft.files.remove(whole)
            for number, (page, line) in enumerate(zip(pages, lines, strict=True), start=1):
                receipt = drafts.hold_file(draft, page_file_name(held.file_name, number), PDF, page)
                drafts.complete_receipt(draft, receipt, line)
        return see_other(f"{filing.base}/receipts?added=1")

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

    @router.get(base + "/{receipt_id}/change")
    async def change_page(
        request: Request, receipt_id: str, filing: Annotated[Filing, deps.sendable]
    ) -> Response:
        """A receipt's question page, filled in with its line, to change it in place."""
        receipt = _changeable(filing, receipt_id)
        values = prefilled(
            {"date": receipt.date, "amount_pence": receipt.amount_pence, "payee": receipt.payee}
        )
        values["category"] = receipt.category
        back = _back_to(request.query_params.get("from"))
        return _change_page(request, filing, receipt, values, None, back)

    @router.post(base + "/{receipt_id}/change")
    async def change(
        request: Request,
        receipt_id: str,
        filing: Annotated[Filing, deps.sendable],
        session: DbSession,
    ) -> Response:
        receipt = _changeable(filing, receipt_id)
        form = await request.form()
        posted = {key: str(form.get(key, "")) for key in LINE_FIELDS}
        back = _back_to(str(form.get("from", "")))
        content, name = await _read_upload(form.get("file"))
        problems = Problems()
        # No file chosen: the receipt keeps its own.
        media_type = screen_upload(content, problems) if content is not None else None
        line = read_line(posted, _rules(filing), problems)
        if problems or line is None:
            return _change_page(request, filing, receipt, posted, problems, back)
        new_file = (
            drafts.NewFile(name, media_type, content)
            if content is not None and media_type is not None
            else None
        )
        async with session.begin():
            draft = await filing.ensure_draft(session)
            changed = drafts.added_receipt(draft, receipt_id)
            if changed is None:  # removed in another tab meanwhile
                raise NotFound(receipt_id)
            drafts.change_receipt(draft, changed, line, new_file)
        if back == "check":
            return see_other(f"{filing.base}/check")
        return see_other(f"{filing.base}/receipts?changed=1#receipt-{receipt_id}")

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


def _changeable(filing: Filing, receipt_id: str) -> DraftReceipt:
    """A receipt added to the draft (a receipt kept from the version sent before is sent as
    it was, or left out)."""
    receipt = next((r for r in filing.added_receipts if r.receipt_id == receipt_id), None)
    if receipt is None:
        raise NotFound(receipt_id)
    return receipt


def _back_to(where: str | None) -> str:
    """Where a change returns to: check answers, or (by default) the receipts page."""
    return "check" if where == "check" else "receipts"


def _change_page(
    request: Request,
    filing: Filing,
    receipt: DraftReceipt,
    values: dict[str, str],
    problems: Problems | None,
    back: str,
) -> Response:
    return journey_page(
        request,
        filing,
        "returns/change_receipt.html",
        "Change the receipt",
        problems=problems,
        status_code=400 if problems else 200,
        receipt=receipt,
        values=values,
        back=back,
        categories=named_categories(filing.definition),
        example_date=_example_date(filing),
    )


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
    changed: bool = False,
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
        changed=changed,
        # A date the form takes: in the period, and not after today.
        example_date=min(rules.period_end, rules.today),
    )


def _confirm_page(
    request: Request,
    filing: Filing,
    file_name: str,
    values: dict[str, str],
    problems: Problems | None,
    read: bool,
) -> Response:
    """The line read from the file, to confirm or correct (a GOV.UK question page)."""
    return journey_page(
        request,
        filing,
        "returns/confirm_receipt.html",
        "Check the details of the receipt",
        problems=problems,
        status_code=400 if problems else 200,
        values=values,
        file_name=file_name,
        read=read,
        categories=named_categories(filing.definition),
        example_date=_example_date(filing),
    )


def _pages_page(
    request: Request,
    filing: Filing,
    file_name: str,
    pages: list[dict[str, str]],
    problems: Problems | None,
) -> Response:
    """A paper return's receipts, one per page of one PDF: each page's line to confirm."""
    return journey_page(
        request,
        filing,
        "returns/confirm_pages.html",
        "Check the details of each receipt",
        problems=problems,
        status_code=400 if problems else 200,
        pages=pages,
        file_name=file_name,
        categories=named_categories(filing.definition),
        example_date=_example_date(filing),
    )


def _example_date(filing: Filing) -> date:
    rules = _rules(filing)
    return min(rules.period_end, rules.today)
