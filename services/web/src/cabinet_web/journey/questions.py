"""The task list and the question pages. Every post saves the answers typed to the draft,
even wrong ones, so nothing is lost; "Continue" then checks them, "Save and come back
later" does not."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from cabinet_common.form_types.answers import ProblemCode
from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.answers_form import (
    Page,
    derived_figures,
    form_problems,
    is_answered,
    page_of,
    page_problems,
    read_page,
)
from cabinet_web.backend import NotFound
from cabinet_web.forms import Problems
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import Lane
from cabinet_web.journey.pages import (
    filing_dependencies,
    journey_page,
    question_url,
    see_other,
)
from cabinet_web.receipt_form import DATE_PARTS


def add_question_routes(router: APIRouter, lane: Lane) -> None:
    base = lane.prefix + "/{obligation_id}"
    deps = filing_dependencies(lane)

    @router.get(base)
    async def task_list(request: Request, filing: Annotated[Filing, deps.opened]) -> Response:
        if filing.mode == "sent":
            return see_other(f"{filing.base}/confirmation")
        return journey_page(
            request, filing, "returns/task_list.html", filing.title, tasks=_tasks(filing)
        )

    @router.get(base + "/questions/{page_id}")
    async def question(
        request: Request,
        page_id: str,
        filing: Annotated[Filing, deps.sendable],
        came_from: Annotated[str, Query(alias="from")] = "",
    ) -> Response:
        page = _page(filing, page_id)
        return _question_page(request, filing, page, filing.answers, None, came_from == "check")

    @router.post(base + "/questions/{page_id}")
    async def answer(
        request: Request,
        page_id: str,
        filing: Annotated[Filing, deps.sendable],
        session: DbSession,
        action: Annotated[str, Form()] = "continue",
        came_from: Annotated[str, Form(alias="from")] = "",
    ) -> Response:
        page = _page(filing, page_id)
        posted = {
            key: value for key, value in (await request.form()).items() if isinstance(value, str)
        }
        answers = read_page(page, _with_dates(page, posted))
        async with session.begin():
            draft = await filing.ensure_draft(session)
            drafts.save_answers(draft, answers)
            draft.send_problems = [
                p for p in draft.send_problems if p.get("field_id") not in answers
            ]
        if action == "save":
            return see_other(f"{lane.prefix}?saved={filing.obligation_id}")
        problems = Problems()
        for problem in page_problems(filing.definition, filing.pages, page, filing.answers):
            problems.add(problem.field_id or "", problem.message)
        if problems:
            return _question_page(
                request, filing, page, filing.answers, problems, came_from == "check"
            )
        if came_from == "check":
            return see_other(f"{filing.base}/check")
        following = [p for p in filing.pages if p.number == page.number + 1]
        if following:
            return see_other(question_url(filing, following[0].page_id))
        return see_other(f"{filing.base}/receipts")


def _page(filing: Filing, page_id: str) -> Page:
    page = next((p for p in filing.pages if p.page_id == page_id), None)
    if page is None:
        raise NotFound(page_id)
    return page


def _with_dates(page: Page, posted: dict[str, str]) -> dict[str, str]:
    """A date question's day, month and year as one answer, "2026-03-31" (as typed, so a
    wrong part is kept and refused by the check)."""
    combined = dict(posted)
    for field in page.fields:
        if field.kind == "date":
            parts = [posted.get(f"{field.id}-{part}", "").strip() for part in DATE_PARTS]
            year, month, day = parts[2], parts[1].zfill(2), parts[0].zfill(2)
            combined[field.id] = f"{year}-{month}-{day}" if any(parts) else ""
    return combined


def _question_page(
    request: Request,
    filing: Filing,
    page: Page,
    answers: dict[str, str],
    problems: Problems | None,
    from_check: bool,
) -> Response:
    on_page = set(page.field_ids())
    previous = [p for p in filing.pages if p.number == page.number - 1]
    if from_check:
        back = f"{filing.base}/check"
    elif previous:
        back = question_url(filing, previous[0].page_id)
    else:
        back = filing.base
    return journey_page(
        request,
        filing,
        "returns/question.html",
        page.heading,
        problems=problems,
        status_code=400 if problems else 200,
        page=page,
        answers=answers,
        from_check=from_check,
        back=back,
        reasons=[r for r in filing.return_reasons if r.get("field_id") in on_page],
        derived=derived_figures(filing.definition, {**filing.answers, **answers}),
    )


def _tasks(filing: Filing) -> dict[str, object]:
    """The task list's three tasks: questions, receipts, check and send."""
    answers = filing.answers
    unanswered = [
        p for p in filing.pages if page_problems(filing.definition, filing.pages, p, answers)
    ]
    if not unanswered:
        questions = "completed"
    elif is_answered(filing.definition, answers) or filing.draft is not None:
        questions = "in progress"
    else:
        questions = "not started"
    first = unanswered[0] if unanswered else filing.pages[0]
    problems = form_problems(filing.definition, answers, filing.receipt_lines())
    missing = [p for p in problems if p.code == ProblemCode.MISSING_REQUIRED_RECEIPT]
    return {
        "questions": questions,
        "questions_href": question_url(filing, first.page_id),
        "receipts_required": bool(filing.definition.required_receipts),
        "receipts_missing": [p.message for p in missing],
        "receipt_count": len(filing.kept_receipts) + len(filing.added_receipts),
        "can_check": not unanswered,
        "reasons_by_page": {
            reason["message"]: question_url(filing, page.page_id)
            for reason in filing.return_reasons
            if (page := page_of(filing.pages, str(reason.get("field_id") or ""))) is not None
        },
    }
