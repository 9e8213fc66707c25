"""A caseworker's decisions on one obligation (accept, return, waive, extend the due
date), each a Temporal Update through cycles' API. Each answers 303 back to the
obligation page, where a banner says what was done."""

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from cabinet_web.backend import Apis, Refused, segment
from cabinet_web.casework import (
    DateAnswer,
    check_new_due_date,
    check_reason,
    parse_date_input,
    read_return_form,
)
from cabinet_web.forms import Problems
from cabinet_web.obligations import intake_obligation
from cabinet_web.pages.case import SECTION, load_case, read_obligation
from cabinet_web.reason_codes import (
    FILER_SENTENCES,
    RECEIPT_REASONS,
    SUBMISSION_REASONS,
    choice_words,
    reason_items,
)
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()


async def _decided(
    apis: Apis, department_id: str, obligation_id: str, state: Any, done: str
) -> Response:
    """Wait a moment for cycles' record to show the decision (it follows the workflow's
    events), so the page it lands on shows the new status. An answer with no status (as
    for a decision found made already) leaves nothing to wait for."""
    wanted = state.get("status") if isinstance(state, dict) else None
    if wanted is not None:
        cycles = apis.cycles(department_id)
        for _ in range(15):
            if (await read_obligation(cycles, obligation_id))["status"] == wanted:
                break
            await asyncio.sleep(0.2)
    return _done(obligation_id, done)


def _done(obligation_id: str, done: str) -> Response:
    """Back to the obligation page, with a banner saying what was done."""
    return RedirectResponse(f"/queue/{segment(obligation_id)}?done={done}", status_code=303)


class _NotDecided(Exception):
    """The decision was refused or could not be sent: its words go on the form."""


async def _send(
    apis: Apis, user: CaseworkerUser, case: dict[str, Any], decision: str, body: dict[str, Any]
) -> Any:
    """POST the decision to cycles; the workflow's refusal (or a failure) as _NotDecided."""
    path = f"/obligations/{segment(case['obligation']['obligation_id'])}/{decision}"
    try:
        return await apis.cycles(user.department_id).post(path, json=body)
    except Refused as error:
        if error.status_code == 409 and await _made_already(
            apis, user.department_id, case, decision, body
        ):
            return None  # a second click: the first made the decision, as this one asks
        raise _NotDecided(_refusal(error)) from error
    except httpx.HTTPError as error:
        raise _NotDecided(
            "Sorry, there is a problem with the service and the decision may not have been "
            "recorded: check the return's history before you try again"
        ) from error


# Where each decision leaves the obligation (an extension: the due date asked for).
DECIDED_STATUS = {"accept": "accepted", "waive": "waived", "return": "returned"}
# Reads of cycles' record, 0.2 s apart, for a refused decision (it follows the workflow's
# events, so a decision made a moment ago can take a moment to show).
MADE_ALREADY_READS = 10


async def _made_already(
    apis: Apis, department_id: str, case: dict[str, Any], decision: str, body: dict[str, Any]
) -> bool:
    """Whether the workflow refused the decision because it was already made (a double
    click, or a second caseworker deciding the same): the obligation is accepted, waived,
    returned with the version decided on, or due on the date asked for."""
    obligation_id = str(case["obligation"]["obligation_id"])
    cycles = apis.cycles(department_id)
    for attempt in range(MADE_ALREADY_READS):
        if attempt:
            await asyncio.sleep(0.2)
        obligation = await read_obligation(cycles, obligation_id)
        if decision == "extend":
            if obligation["due_date"] == body["due_date"]:
                return True
        elif obligation["status"] == DECIDED_STATUS[decision]:
            if decision != "return":
                return True
            latest = case["latest"]["version"] if case["latest"] else None
            return await _current_version(apis, department_id, obligation_id) == latest
    return False


async def _current_version(apis: Apis, department_id: str, obligation_id: str) -> int | None:
    """The version of the submission intake has now (None if nothing was sent)."""
    intake = apis.intake(department_id)
    known = await intake_obligation(intake, obligation_id) or {}
    if not known.get("submission_id"):
        return None
    submission = await intake.get(f"/submissions/{segment(known['submission_id'])}")
    return int(submission["current_version"])


async def _case(obligation_id: str, user: CaseworkerUser, apis: Apis) -> dict[str, Any]:
    """The obligation named in the URL, as the decision pages show it."""
    return await load_case(apis, user.department_id, obligation_id)


Case = Annotated[dict[str, Any], Depends(_case)]


def _back_to_case(obligation_id: str) -> Response:
    return RedirectResponse(f"/queue/{segment(obligation_id)}", status_code=303)


def _decision_page(
    request: Request,
    template: str,
    title: str,
    case: dict[str, Any],
    values: dict[str, Any],
    problems: Problems | None = None,
) -> Response:
    return render(
        request,
        f"caseworker/{template}",
        {
            "title": title,
            "section": SECTION,
            "values": values,
            "problems": problems,
            **case,
        },
        status_code=400 if problems else 200,
    )


def add_reason_decision(
    decision: str, title: str, missing: str, may_decide: Callable[[dict[str, Any]], bool]
) -> None:
    """The two routes of a decision whose form is just a reason (accept, waive): its page
    (back to the case when the decision cannot be made) and its POST. The template is
    caseworker/{decision}.html; `missing` is the error for an empty reason."""
    template = f"{decision}.html"

    @router.get(f"/queue/{{obligation_id}}/{decision}", name=f"{decision}_page")
    async def decision_page(request: Request, obligation_id: str, case: Case) -> Response:
        if not may_decide(case):
            return _back_to_case(obligation_id)
        return _decision_page(request, template, title, case, {"reason": ""})

    @router.post(f"/queue/{{obligation_id}}/{decision}", name=decision)
    async def decide(
        request: Request,
        obligation_id: str,
        user: CaseworkerUser,
        apis: Apis,
        case: Case,
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        problems = Problems()
        reason = check_reason(problems, "reason", reason, missing)
        if not problems:
            try:
                state = await _send(apis, user, case, decision, {"reason": reason})
            except _NotDecided as error:
                problems.add("reason", str(error))
            else:
                done = DECIDED_STATUS[decision]
                return await _decided(apis, user.department_id, obligation_id, state, done)
        return _decision_page(request, template, title, case, {"reason": reason}, problems)


add_reason_decision(
    "accept",
    "Why are you accepting this return?",
    "Enter why you are accepting this return",
    lambda case: bool(case["can_accept"]),
)
add_reason_decision(
    "waive",
    "Why are you waiving this return?",
    "Enter why you are waiving this return",
    lambda case: not case["settled"],
)


EXTEND_TITLE = "Extend the due date"


@router.get("/queue/{obligation_id}/extend")
async def extend_page(request: Request, obligation_id: str, case: Case) -> Response:
    if case["settled"]:
        return _back_to_case(obligation_id)
    values = {"due-date-day": "", "due-date-month": "", "due-date-year": "", "reason": ""}
    return _extend_page(request, case, {**values, "date_error_parts": ()})


def _extend_page(
    request: Request, case: dict[str, Any], values: dict[str, Any], problems: Problems | None = None
) -> Response:
    later = date.fromisoformat(case["obligation"]["due_date"]) + timedelta(days=28)
    values["example"] = f"{later.day} {later.month} {later.year}"
    return _decision_page(request, "extend.html", EXTEND_TITLE, case, values, problems)


@router.post("/queue/{obligation_id}/extend")
async def extend(
    request: Request,
    obligation_id: str,
    user: CaseworkerUser,
    apis: Apis,
    case: Case,
    day: Annotated[str, Form(alias="due-date-day")] = "",
    month: Annotated[str, Form(alias="due-date-month")] = "",
    year: Annotated[str, Form(alias="due-date-year")] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    problems = Problems()
    current = date.fromisoformat(case["obligation"]["due_date"])
    asked = parse_date_input(day, month, year, "the new due date")
    if asked.value == current:
        # Already due on the date asked for: a second click after the first one's
        # extension (or another caseworker's) landed. Nothing more to do.
        return _done(obligation_id, "extended")
    answer: DateAnswer = check_new_due_date(asked, current)
    if answer.error:
        problems.add(f"due-date-{answer.parts[0]}", answer.error)
    reason = check_reason(problems, "reason", reason, "Enter why you are extending the due date")
    if not problems and answer.value is not None:
        body = {"reason": reason, "due_date": answer.value.isoformat()}
        try:
            state = await _send(apis, user, case, "extend", body)
        except _NotDecided as error:
            problems.add("due-date-day", str(error))
        else:
            return await _decided(apis, user.department_id, obligation_id, state, "extended")
    values = {
        "due-date-day": day,
        "due-date-month": month,
        "due-date-year": year,
        "reason": reason,
        "date_error": answer.error or (problems.message("due-date-day") or {}).get("text"),
        "date_error_parts": answer.parts or ("day", "month", "year"),
    }
    return _extend_page(request, case, values, problems)


RETURN_TITLE = "Return to the filer"


def receipt_reason_choices() -> list[dict[str, str]]:
    """The reasons a caseworker may give for returning one receipt, as radios: a person's
    reasons say what the filer will read."""
    return [
        {
            "code": code,
            "text": choice_words(code),
            "hint": f"The filer reads: {FILER_SENTENCES[code]}" if code in FILER_SENTENCES else "",
        }
        for code in RECEIPT_REASONS
    ]


def _return_context(case: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    return {
        "receipt_reason_choices": receipt_reason_choices(),
        "submission_reason_items": reason_items(
            SUBMISSION_REASONS,
            values.get("submission-reason", ""),
            "No reason about the whole return",
        ),
    }


def _return_page(
    request: Request,
    case: dict[str, Any],
    values: dict[str, str],
    problems: Problems | None = None,
) -> Response:
    context = {**case, **_return_context(case, values)}
    return _decision_page(request, "return.html", RETURN_TITLE, context, values, problems)


@router.get("/queue/{obligation_id}/return")
async def return_page(
    request: Request,
    obligation_id: str,
    case: Case,
    chosen: Annotated[int | None, Query(alias="receipt")] = None,
) -> Response:
    """The return form; `receipt` (a receipt's number, from the comparison of a possible
    duplicate) comes chosen to be returned."""
    if not case["can_return"]:
        return _back_to_case(obligation_id)
    values = {"version": str(case["latest"]["version"])}
    if case["receipts_returnable"] and any(r["number"] == chosen for r in case["receipts"]):
        values[f"receipt-{chosen}-decision"] = "return"
    # A flagged receipt comes with its flag as the reason and the note, for the
    # caseworker to keep, change or ignore (accepting it).
    for receipt in case["receipts"]:
        flag = next((f for f in receipt["flags"] if f["code"] in RECEIPT_REASONS), None)
        if flag is not None:
            values[f"receipt-{receipt['number']}-reason"] = flag["code"]
            values[f"receipt-{receipt['number']}-note"] = flag["message"]
    return _return_page(request, case, values)


@router.post("/queue/{obligation_id}/return")
async def return_submission(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis, case: Case
) -> Response:
    if not case["latest"]:
        return _back_to_case(obligation_id)
    form = await request.form()
    seen_version = str(form.get("version", ""))
    latest_version = str(case["latest"]["version"])
    if seen_version != latest_version:
        problems = Problems()
        problems.add(
            "receipt-1-decision" if case["receipts"] else "submission-reason",
            f"The filer has sent version {latest_version} of this return since you opened "
            "the page: check it, then decide again",
        )
        return _return_page(request, case, {"version": latest_version}, problems)
    returning = read_return_form(
        {k: v for k, v in form.items() if isinstance(v, str)},
        [r["receipt_id"] for r in case["receipts"]] if case["receipts_returnable"] else [],
    )
    problems = returning.problems
    if not problems:
        try:
            state = await _send(apis, user, case, "return", returning.action())
        except _NotDecided as error:
            problems.add(
                "receipt-1-decision" if returning.receipts else "submission-reason", str(error)
            )
        else:
            return await _decided(apis, user.department_id, obligation_id, state, "returned")
    values = {**returning.values, "version": latest_version}
    return _return_page(request, case, values, problems)


def _refusal(error: Refused) -> str:
    """The workflow's own words for a decision it refused (cycles answers 409)."""
    detail = (error.detail or "").strip()
    return detail or "The decision could not be made: reload the page and try again"
