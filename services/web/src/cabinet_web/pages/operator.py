"""The operators' dashboard: for one period of one form type, how many obligations are in
each status (a chart drawn on the server, and the same figures in a table, each count a
link to the obligations behind it), and the obligations overdue or escalated, each with a
link to its workflow in Temporal."""

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from cabinet_web.backend import Apis, DepartmentApi, NotFound
from cabinet_web.filer_register import filer_names
from cabinet_web.formatting import LONDON, STATUSES, status_tag
from cabinet_web.sessions import OperatorUser
from cabinet_web.status_chart import bar_chart, percent, status_bars
from cabinet_web.templating import render

router = APIRouter()

LATE_STATUSES = ("overdue", "escalated")
# Rows of the overdue list fetched for each status; a period with more says how many.
LATE_LIMIT = 1000
# Obligations a page of one status's list.
PAGE_SIZE = 50


@router.get("/dashboard")
async def dashboard(
    request: Request,
    user: OperatorUser,
    apis: Apis,
    form_type: Annotated[str | None, Query(alias="form-type")] = None,
    period: Annotated[str | None, Query(alias="period")] = None,
) -> Response:
    cycles = apis.cycles(user.department_id)
    periods: list[dict[str, Any]] = await cycles.get("/periods")
    context: dict[str, Any] = {"title": "Dashboard", "section": "dashboard", "periods": periods}
    if not periods:
        return render(request, "operator/dashboard.html", context)

    # The newest period first: the default is the latest period of the latest form type.
    form_types = {p["form_type_id"]: p["form_type_name"] for p in reversed(periods)}
    chosen_form_type = form_type if form_type in form_types else periods[0]["form_type_id"]
    of_form_type = [p for p in periods if p["form_type_id"] == chosen_form_type]
    shown = next((p for p in of_form_type if p["period_key"] == period), of_form_type[0])
    # A period asked for that this form type does not have (the form type was changed).
    not_opened = period if period and period != shown["period_key"] else None

    counted = await cycles.get(
        "/obligations/status-counts",
        form_type_id=shown["form_type_id"],
        period_key=shown["period_key"],
    )
    counts = [(item["status"], item["count"]) for item in counted["counts"]]
    total: int = counted["total"]
    name = f"{shown['form_type_name']}, {shown['period_key']}"
    late, late_total = await _late(cycles, shown, dict(counts))
    late_filers = {obligation["filer_id"] for obligation in late}
    names = await filer_names(apis, user.department_id, including=late_filers) if late else {}
    today = datetime.now(LONDON).date()

    context |= {
        "form_type_items": [
            {"value": f, "text": n, "selected": f == chosen_form_type}
            for f, n in sorted(form_types.items(), key=lambda item: item[1].lower())
        ],
        "period_items": [
            {"value": p["period_key"], "text": p["period_key"], "selected": p is shown}
            for p in of_form_type
        ],
        "shown": shown,
        "not_opened": not_opened,
        "name": name,
        "total": total,
        "chart": bar_chart(
            status_bars(counts), chart_id="status-chart", title=f"Obligations by status, {name}"
        ),
        "status_rows": [
            {
                "status": status,
                "count": count,
                "percent": percent(count, total),
                "href": status_list_href(shown, status) if count else None,
            }
            for status, count in counts
        ],
        "late": [
            {
                **obligation,
                "filer_name": names.get(obligation["filer_id"], obligation["filer_id"]),
                "days_overdue": _days_overdue(obligation["due_date"], today),
            }
            for obligation in late
        ],
        "late_total": late_total,
    }
    return render(request, "operator/dashboard.html", context)


def status_list_href(period: dict[str, Any], status: str, after: str | None = None) -> str:
    """The list of one period's obligations in one status."""
    query = {"form-type": period["form_type_id"], "period": period["period_key"], "status": status}
    if after:
        query["after"] = after
    return "/dashboard/obligations?" + urlencode(query)


@router.get("/dashboard/obligations")
async def obligations_in_status(
    request: Request,
    user: OperatorUser,
    apis: Apis,
    form_type: Annotated[str, Query(alias="form-type", max_length=200)] = "",
    period: Annotated[str, Query(alias="period", max_length=200)] = "",
    status: Annotated[str, Query(alias="status", max_length=50)] = "",
    after: Annotated[str | None, Query(alias="after", max_length=200)] = None,
) -> Response:
    """The obligations behind one of the dashboard's counts: one period of one form type in
    this department, in one status, in filer order, PAGE_SIZE at a time."""
    if status not in STATUSES:
        raise NotFound(status)
    cycles = apis.cycles(user.department_id)
    periods: list[dict[str, Any]] = await cycles.get("/periods")
    shown = next(
        (p for p in periods if p["form_type_id"] == form_type and p["period_key"] == period),
        None,
    )
    if shown is None:
        raise NotFound(period)
    fetched: list[dict[str, Any]] = await cycles.get(
        "/obligations",
        form_type_id=form_type,
        period_key=period,
        status=status,
        limit=PAGE_SIZE + 1,
        after_filer_id=after or None,
    )
    page, more = fetched[:PAGE_SIZE], len(fetched) > PAGE_SIZE
    counted = await cycles.get(
        "/obligations/status-counts", form_type_id=form_type, period_key=period
    )
    count = next((c["count"] for c in counted["counts"] if c["status"] == status), 0)
    filers = {o["filer_id"] for o in page}
    names = await filer_names(apis, user.department_id, including=filers) if page else {}
    name = f"{shown['form_type_name']}, {shown['period_key']}"
    words = status_tag(status)["text"]
    context = {
        "title": f"{words}: {name}",
        "section": "dashboard",
        "name": name,
        "words": words,
        "count": count,
        "first": after is None,
        "dashboard_href": "/dashboard?" + urlencode({"form-type": form_type, "period": period}),
        "first_page_href": status_list_href(shown, status),
        "next_href": status_list_href(shown, status, page[-1]["filer_id"]) if more else None,
        "obligations": [{**o, "filer_name": names.get(o["filer_id"], o["filer_id"])} for o in page],
    }
    return render(request, "operator/obligations.html", context)


async def _late(
    cycles: DepartmentApi, period: dict[str, Any], counts: dict[str, int]
) -> tuple[list[dict[str, Any]], int]:
    """The period's overdue and escalated obligations, longest overdue first, and how many
    there are in all (the list stops at LATE_LIMIT of each)."""
    late: list[dict[str, Any]] = []
    for status in LATE_STATUSES:
        if counts.get(status):
            late += await cycles.get(
                "/obligations",
                form_type_id=period["form_type_id"],
                period_key=period["period_key"],
                status=status,
                limit=LATE_LIMIT,
            )
    late.sort(key=lambda o: (o["due_date"], o["filer_id"], o["status"]))
    return late, sum(counts.get(status, 0) for status in LATE_STATUSES)


def _days_overdue(due_date: str, today: date) -> int:
    """Whole days since the due date: overdue from the day after it."""
    return max((today - date.fromisoformat(due_date)).days, 0)
