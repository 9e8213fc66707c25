"""The caseworkers' queue: held, returned, escalated and overdue returns (or the statuses
chosen), filtered by form type, period and status."""

from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_web.backend import Apis
from cabinet_web.formatting import STATUSES
from cabinet_web.forms import select_items
from cabinet_web.journey.definitions import form_name
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()

SECTION = "queue"


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
    form_names = {f: await form_name(cycles, f) for f in form_type_ids}
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
            "form_type_items": select_items(
                "All form types",
                [(f, form_names[f]) for f in form_type_ids],
                filters["form_type_id"],
            ),
            "period_items": select_items(
                "All periods", [(p, p) for p in periods], filters["period_key"]
            ),
            "status_items": select_items(
                "Any status in the queue",
                [(code, words) for code, (words, _) in STATUSES.items()],
                filters["status"],
            ),
        },
    )
