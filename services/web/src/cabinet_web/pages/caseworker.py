"""Caseworkers' pages: the queue, one obligation with its latest return (answers, receipts
viewable inline), and the decisions on it (accept, return, waive, extend the due date),
each a Temporal Update through cycles' API."""

import asyncio
from datetime import date, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from cabinet_web.backend import Apis, DepartmentApi, NotFound, Refused, segment
from cabinet_web.casework import (
    DateAnswer,
    answer_rows,
    check_new_due_date,
    check_reason,
    file_kind,
    file_size,
    parse_date_input,
    read_return_form,
    viewer,
)
from cabinet_web.formatting import STATUSES, long_date
from cabinet_web.forms import Problems
from cabinet_web.reason_codes import (
    RECEIPT_REASONS,
    SUBMISSION_REASONS,
    reason_items,
    reason_words,
)
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()

SECTION = "queue"
SETTLED = frozenset({"accepted", "waived", "closed"})
# Statuses a checked submission can be accepted from (the workflow refuses the rest).
ACCEPTABLE = frozenset({"checking", "returned", "overdue", "escalated"})
# The file a page frames: only our own pages may frame it, and it runs nothing.
FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'"

DONE = {
    "accepted": "Return accepted",
    "returned": "Return sent back to the filer",
    "waived": "Return waived",
    "extended": "Due date extended",
}


# The queue.


@router.get("/queue")
async def queue(
    request: Request,
    user: CaseworkerUser,
    apis: Apis,
    form_type_id: str = "",
    period_key: str = "",
    status: str = "",
) -> Response:
    cycles = apis.cycles(user.department_id)
    filters = {
        "form_type_id": form_type_id.strip(),
        "period_key": period_key.strip(),
        "status": status if status in STATUSES else "",
    }
    items: list[dict[str, Any]] = await cycles.get(
        "/queue", **{name: value or None for name, value in filters.items()}
    )
    # The choices: what is in the queue now, what was found, and what was asked for.
    everything = await cycles.get("/queue") if any(filters.values()) else items
    form_type_ids = sorted(
        {i["form_type_id"] for i in [*everything, *items]} | {filters["form_type_id"]} - {""}
    )
    periods = sorted(
        {i["period_key"] for i in [*everything, *items]} | {filters["period_key"]} - {""},
        reverse=True,
    )
    form_names = {f: await _form_name(cycles, f) for f in form_type_ids}
    return render(
        request,
        "caseworker/queue.html",
        {
            "title": "Queue",
            "section": SECTION,
            "items": items,
            "filters": filters,
            "filtered": any(filters.values()),
            "form_names": form_names,
            "form_type_items": _choices(
                "All form types",
                [(f, form_names[f]) for f in form_type_ids],
                filters["form_type_id"],
            ),
            "period_items": _choices(
                "All periods", [(p, p) for p in periods], filters["period_key"]
            ),
            "status_items": _choices(
                "Any status in the queue",
                [(code, words) for code, (words, _) in STATUSES.items()],
                filters["status"],
            ),
        },
    )


def _choices(prompt: str, options: list[tuple[str, str]], selected: str) -> list[dict[str, Any]]:
    return [
        {"value": "", "text": prompt, "selected": not selected},
        *({"value": v, "text": t, "selected": v == selected} for v, t in options),
    ]


# Form type definitions never change once published, nor the version a period opened with.
_definitions: dict[tuple[str, str, int | None], dict[str, Any]] = {}
_period_versions: dict[tuple[str, str, str], int] = {}


async def _definition(
    cycles: DepartmentApi, department_id: str, form_type_id: str, version: int | None
) -> dict[str, Any] | None:
    key = (department_id, form_type_id, version)
    if key not in _definitions:
        path = f"/form-types/{segment(form_type_id)}"
        try:
            found = await cycles.get(path if version is None else f"{path}/versions/{version}")
        except (NotFound, Refused):
            return None
        if version is None:
            return dict(found["definition"])  # the current one may change: not kept
        if len(_definitions) > 500:
            _definitions.clear()
        _definitions[key] = found["definition"]
    return _definitions[key]


async def _form_name(cycles: DepartmentApi, form_type_id: str) -> str:
    """The current version's name (never kept: a new version may rename the form)."""
    definition = await _definition(cycles, "", form_type_id, None)
    return str(definition["name"]) if definition else form_type_id


async def _period_version(
    cycles: DepartmentApi, department_id: str, form_type_id: str, period_key: str
) -> int | None:
    """The form type version the period was opened with (the obligation's version)."""
    key = (department_id, form_type_id, period_key)
    if key not in _period_versions:
        try:
            period = await cycles.get(
                f"/form-types/{segment(form_type_id)}/periods/{segment(period_key)}"
            )
        except (NotFound, Refused, httpx.HTTPError):
            return None
        if len(_period_versions) > 500:
            _period_versions.clear()
        _period_versions[key] = int(period["form_type_version"])
    return _period_versions[key]


# One obligation and its latest return.


async def _obligation(apis: Apis, department_id: str, obligation_id: str) -> dict[str, Any]:
    obligation: dict[str, Any] = await apis.cycles(department_id).get(
        f"/obligations/{segment(obligation_id)}"
    )
    return obligation


async def _intake_obligation(
    apis: Apis, department_id: str, obligation: dict[str, Any]
) -> dict[str, Any]:
    """Intake's word on the submission: cycles learns of one a moment after intake takes it."""
    try:
        known: dict[str, Any] = await apis.intake(department_id).get(
            f"/obligations/{segment(obligation['obligation_id'])}"
        )
    except NotFound:
        return {}
    return known


async def _case(apis: Apis, department_id: str, obligation_id: str) -> dict[str, Any]:
    """Everything the obligation page and the decision pages show."""
    cycles = apis.cycles(department_id)
    obligation = await _obligation(apis, department_id, obligation_id)
    form_type_id = obligation["form_type_id"]
    version = await _period_version(cycles, department_id, form_type_id, obligation["period_key"])
    definition = await _definition(cycles, department_id, form_type_id, version)
    if definition is None and version is not None:
        definition = await _definition(cycles, department_id, form_type_id, None)
    known = await _intake_obligation(apis, department_id, obligation)
    submission_id = known.get("submission_id") or obligation.get("submission_id")
    submission = None
    latest = None
    if submission_id:
        submission = await apis.intake(department_id).get(f"/submissions/{segment(submission_id)}")
        latest = next(
            (v for v in submission["versions"] if v["version"] == submission["current_version"]),
            submission["versions"][-1] if submission["versions"] else None,
        )
    base = f"/queue/{segment(obligation['obligation_id'])}"
    status = obligation["status"]
    receipts = (
        [
            _receipt(number, receipt, base, _outcome(receipt, latest, status))
            for number, receipt in enumerate(latest["receipts"], 1)
        ]
        if latest
        else []
    )
    return {
        "obligation": obligation,
        "base": base,
        "form_name": definition["name"] if definition else form_type_id,
        "reference": known.get("acknowledgement_reference"),
        "definition": definition,
        "submission": submission,
        "latest": latest,
        "version_reasons": [_reason(r) for r in latest["return_reasons"]] if latest else [],
        "answers": answer_rows(definition["fields"] if definition else [], latest["answers"])
        if latest
        else [],
        "receipts": receipts,
        "receipts_total": sum(r["amount_pence"] for r in receipts),
        "earlier_versions": [
            {**v, "reasons": [_reason(r) for r in v["return_reasons"]]}
            for v in (submission["versions"] if submission else [])
            if latest and v["version"] != latest["version"]
        ][::-1],
        "latest_event": obligation["history"][-1] if obligation["history"] else None,
        "settled": status in SETTLED,
        "can_accept": bool(latest) and status in ACCEPTABLE,
        "can_return": bool(latest) and status not in SETTLED,
        # A version not checked yet can be returned only as a whole (the workflow knows
        # its receipts once the receipts service has checked them).
        "receipts_returnable": status != "submitted",
    }


def _reason(reason: dict[str, Any]) -> dict[str, str]:
    return {"code": reason["code"], "words": reason_words(reason["code"]), **reason}


def _outcome(receipt: dict[str, Any], latest: dict[str, Any], status: str) -> str:
    """What became of a receipt of the latest version, as far as intake and cycles know."""
    if status == "accepted":
        return "Accepted"
    if receipt.get("returned"):
        return "Returned"
    if latest.get("returned"):
        return "Not returned: the filer can keep it"
    return "Not decided yet"


def _receipt(number: int, receipt: dict[str, Any], base: str, outcome: str) -> dict[str, Any]:
    return {
        **receipt,
        "number": number,
        "outcome": outcome,
        "kind": file_kind(receipt["media_type"]),
        "size": file_size(receipt["size_bytes"]),
        "viewer": viewer(receipt["media_type"]),
        "file_url": f"{base}/receipts/{segment(receipt['receipt_id'])}/file",
        "reasons": [_reason(r) for r in receipt.get("return_reasons", [])],
    }


@router.get("/queue/{obligation_id}")
async def obligation_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis, done: str = ""
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    banner = DONE.get(done)
    if done == "extended":
        banner = f"Due date extended to {long_date(case['obligation']['due_date'])}"
    return render(
        request,
        "caseworker/obligation.html",
        {
            "title": f"{case['form_name']} from {case['obligation']['filer_id']} for "
            f"{case['obligation']['period_key']}",
            "section": SECTION,
            "banner": banner,
            **case,
        },
    )


@router.get("/queue/{obligation_id}/receipts/{receipt_id}/file")
async def receipt_file(
    obligation_id: str, receipt_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    """The receipt's file from intake, to show inline (in an <img> or an <iframe> of our
    own pages) or open on its own: its type and name as intake gives them, never sniffed."""
    intake = apis.intake(user.department_id)
    known = await intake.get(f"/obligations/{segment(obligation_id)}")
    if not known.get("submission_id"):
        raise NotFound("nothing submitted yet")
    upstream = await intake.get_bytes(
        f"/submissions/{segment(known['submission_id'])}/receipts/{segment(receipt_id)}/file"
    )
    return Response(
        upstream.content,
        media_type=upstream.headers.get("content-type", "application/octet-stream"),
        headers={
            "content-disposition": upstream.headers.get("content-disposition", "inline"),
            "x-content-type-options": "nosniff",
            "content-security-policy": FILE_CONTENT_SECURITY_POLICY,
            "x-frame-options": "SAMEORIGIN",
            "cache-control": "no-store",
        },
    )


# Decisions. Each answers 303 back to the obligation page, where a banner says what was done.


async def _decided(
    apis: Apis, department_id: str, obligation_id: str, state: Any, done: str
) -> Response:
    """Wait a moment for cycles' record to show the decision (it follows the workflow's
    events), so the page it lands on shows the new status."""
    wanted = state.get("status") if isinstance(state, dict) else None
    for _ in range(15):
        obligation = await _obligation(apis, department_id, obligation_id)
        if wanted is None or obligation["status"] == wanted:
            break
        await asyncio.sleep(0.2)
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
        raise _NotDecided(_refusal(error)) from error
    except httpx.HTTPError as error:
        raise _NotDecided(
            "Sorry, there is a problem with the service and the decision may not have been "
            "recorded: check the return's history before you try again"
        ) from error


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


ACCEPT_TITLE = "Why are you accepting this return?"


@router.get("/queue/{obligation_id}/accept")
async def accept_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    if not case["can_accept"]:
        return _back_to_case(obligation_id)
    return _decision_page(request, "accept.html", ACCEPT_TITLE, case, {"reason": ""})


@router.post("/queue/{obligation_id}/accept")
async def accept(
    request: Request,
    obligation_id: str,
    user: CaseworkerUser,
    apis: Apis,
    reason: Annotated[str, Form()] = "",
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    problems = Problems()
    reason = check_reason(problems, "reason", reason, "Enter why you are accepting this return")
    if not problems:
        try:
            state = await _send(
                apis, user, case, "accept", {"actor": user.user_id, "reason": reason}
            )
        except _NotDecided as error:
            problems.add("reason", str(error))
        else:
            return await _decided(apis, user.department_id, obligation_id, state, "accepted")
    return _decision_page(request, "accept.html", ACCEPT_TITLE, case, {"reason": reason}, problems)


WAIVE_TITLE = "Why are you waiving this return?"


@router.get("/queue/{obligation_id}/waive")
async def waive_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    if case["settled"]:
        return _back_to_case(obligation_id)
    return _decision_page(request, "waive.html", WAIVE_TITLE, case, {"reason": ""})


@router.post("/queue/{obligation_id}/waive")
async def waive(
    request: Request,
    obligation_id: str,
    user: CaseworkerUser,
    apis: Apis,
    reason: Annotated[str, Form()] = "",
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    problems = Problems()
    reason = check_reason(problems, "reason", reason, "Enter why you are waiving this return")
    if not problems:
        try:
            state = await _send(
                apis, user, case, "waive", {"actor": user.user_id, "reason": reason}
            )
        except _NotDecided as error:
            problems.add("reason", str(error))
        else:
            return await _decided(apis, user.department_id, obligation_id, state, "waived")
    return _decision_page(request, "waive.html", WAIVE_TITLE, case, {"reason": reason}, problems)


EXTEND_TITLE = "Extend the due date"


@router.get("/queue/{obligation_id}/extend")
async def extend_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
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
    day: Annotated[str, Form(alias="due-date-day")] = "",
    month: Annotated[str, Form(alias="due-date-month")] = "",
    year: Annotated[str, Form(alias="due-date-year")] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    problems = Problems()
    current = date.fromisoformat(case["obligation"]["due_date"])
    answer: DateAnswer = check_new_due_date(
        parse_date_input(day, month, year, "the new due date"), current
    )
    if answer.error:
        problems.add(f"due-date-{answer.parts[0]}", answer.error)
    reason = check_reason(problems, "reason", reason, "Enter why you are extending the due date")
    if not problems and answer.value is not None:
        body = {"actor": user.user_id, "reason": reason, "due_date": answer.value.isoformat()}
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


def _return_context(case: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    return {
        "receipt_reason_items": {
            r["number"]: reason_items(
                RECEIPT_REASONS, values.get(f"receipt-{r['number']}-reason", ""), "Select a reason"
            )
            for r in case["receipts"]
        },
        "submission_reason_items": reason_items(
            SUBMISSION_REASONS,
            values.get("submission-reason", ""),
            "No reason about the whole return",
        ),
    }


@router.get("/queue/{obligation_id}/return")
async def return_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
    if not case["can_return"]:
        return _back_to_case(obligation_id)
    values: dict[str, str] = {"version": str(case["latest"]["version"])}
    return _decision_page(
        request, "return.html", RETURN_TITLE, {**case, **_return_context(case, values)}, values
    )


@router.post("/queue/{obligation_id}/return")
async def return_submission(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    case = await _case(apis, user.department_id, obligation_id)
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
        values = {"version": latest_version}
        return _decision_page(
            request,
            "return.html",
            RETURN_TITLE,
            {**case, **_return_context(case, values)},
            values,
            problems,
        )
    returning = read_return_form(
        {k: v for k, v in form.items() if isinstance(v, str)},
        [r["receipt_id"] for r in case["receipts"]] if case["receipts_returnable"] else [],
    )
    problems = returning.problems
    if not problems:
        try:
            state = await _send(apis, user, case, "return", returning.action(user.user_id))
        except _NotDecided as error:
            problems.add(
                "receipt-1-decision" if returning.receipts else "submission-reason", str(error)
            )
        else:
            return await _decided(apis, user.department_id, obligation_id, state, "returned")
    values = {**returning.values, "version": latest_version}
    return _decision_page(
        request,
        "return.html",
        RETURN_TITLE,
        {**case, **_return_context(case, values)},
        values,
        problems,
    )


def _refusal(error: Refused) -> str:
    """The workflow's own words for a decision it refused (cycles answers 409)."""
    detail = (error.detail or "").strip()
    return detail or "The decision could not be made: reload the page and try again"
