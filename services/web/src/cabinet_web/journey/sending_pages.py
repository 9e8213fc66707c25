"""Check your answers, then the declaration: "Accept and send" sends the draft to intake.
Problems (ours, before sending; intake's, after) are listed on check answers, each
linking to the page where it is put right."""

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.answers_form import (
    declaration_field,
    declaration_problem,
    derived_figures,
    form_problems,
    page_of,
    shown_answer,
)
from cabinet_web.backend import Apis
from cabinet_web.forms import Problems
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import Lane
from cabinet_web.journey.pages import (
    LinkedProblems,
    ensure_sendable,
    filing_dependencies,
    journey_page,
    question_url,
    see_other,
)
from cabinet_web.journey.sending import send

NOT_SENT = "Your return could not be sent just now. Try again in a few minutes."


def add_sending_routes(router: APIRouter, lane: Lane) -> None:
    base = lane.prefix + "/{obligation_id}"
    deps = filing_dependencies(lane)

    @router.get(base + "/check")
    async def check_answers(request: Request, filing: Annotated[Filing, deps.sendable]) -> Response:
        return journey_page(
            request,
            filing,
            "returns/check_answers.html",
            "Check your answers before sending your return",
            problems=problems_to_fix(filing),
            rows=_answer_rows(filing),
        )

    @router.get(base + "/declaration")
    async def declaration(request: Request, filing: Annotated[Filing, deps.sendable]) -> Response:
        if problems_to_fix(filing):
            return see_other(f"{filing.base}/check")
        return _declaration_page(request, filing, None)

    @router.post(base + "/declaration")
    async def accept_and_send(
        request: Request, filing: Annotated[Filing, deps.opened], apis: Apis, session: DbSession
    ) -> Response:
        if not filing.can_send and filing.stale_draft is not None:
            async with session.begin():  # left from before it was sent
                await filing.discard_stale_draft(session)
        ensure_sendable(filing)  # sent already (a second click lands here)
        field = declaration_field(filing.definition)
        form = await request.form()
        async with session.begin():
            draft = await filing.ensure_draft(session)
            if field is not None:
                ticked = form.get(field.id) == "yes"
                drafts.save_answers(draft, {field.id: "yes" if ticked else ""})
        declared = declaration_problem(filing.definition, draft.answers)
        if declared is not None:
            problems = Problems()
            problems.add(declared.field_id or "", declared.message)
            return _declaration_page(request, filing, problems, status_code=400)
        if problems_to_fix(filing):
            return see_other(f"{filing.base}/check")
        outcome = await send(apis.intake(filing.user.department_id), session, filing, draft)
        if outcome.try_later:
            problems = Problems()
            problems.add(field.id if field else "send", NOT_SENT)
            return _declaration_page(request, filing, problems, status_code=503)
        if outcome.sent or outcome.moved_on:
            async with session.begin():
                await drafts.delete_draft(session, draft.draft_id)
            return see_other(f"{filing.base}/confirmation")
        async with session.begin():
            await drafts.record_send_problems(session, draft.draft_id, outcome.problems)
        return see_other(f"{filing.base}/check")


def problems_to_fix(filing: Filing) -> LinkedProblems:
    """Everything that stops the return being sent, linked to where it is put right."""
    problems = LinkedProblems()
    receipts = f"{filing.base}/receipts"
    for problem in form_problems(filing.definition, filing.answers, filing.receipt_lines()):
        page = page_of(filing.pages, problem.field_id or "")
        if page is not None:
            href = question_url(filing, page.page_id, from_check=True)
            problems.link(problem.field_id or "", problem.message, href)
        else:
            problems.link(f"receipts-{problem.message}", problem.message, receipts)
    for sent in filing.draft.send_problems if filing.draft else []:
        message = str(sent.get("message"))
        page = page_of(filing.pages, str(sent.get("field_id") or ""))
        if page is not None:
            href = question_url(filing, page.page_id, from_check=True)
            problems.link(str(sent["field_id"]), message, href)
        elif sent.get("receipt_id"):
            key = f"receipt-{sent['receipt_id']}"
            problems.link(key, message, f"{receipts}#{key}")
        else:
            problems.link(f"send-{message}", message, "#your-answers")
    return problems


def _answer_rows(filing: Filing) -> list[dict[str, Any]]:
    answers = filing.answers
    derived = derived_figures(filing.definition, answers)
    rows = []
    for page in filing.pages:
        for field in page.fields:
            text = answers.get(field.id, "")
            shown = derived.get(field.id) if field.id in derived else shown_answer(field, text)
            rows.append(
                {
                    "field": field,
                    "value": shown or "Not answered",
                    "href": question_url(filing, page.page_id, from_check=True),
                }
            )
    return rows


def _declaration_page(
    request: Request, filing: Filing, problems: Problems | None, status_code: int = 200
) -> Response:
    return journey_page(
        request,
        filing,
        "returns/declaration.html",
        "Declaration",
        problems=problems,
        status_code=status_code,
        field=declaration_field(filing.definition),
    )
