"""The caseworker's paper-return lane: the obligations not yet accepted (of one filer, if
chosen), and the same return journey as filers', under /paper/{obligation_id}."""

import asyncio
from itertools import chain
from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.backend import Apis, DepartmentApi
from cabinet_web.filer_register import filer_names
from cabinet_web.journey.lane import PAPER
from cabinet_web.journey.listing import return_rows
from cabinet_web.journey.routes import journey_router
from cabinet_web.obligations import UNSETTLED
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()
# Rows listed for all filers (one filer's are all listed).
MAX_ROWS = 200
# Cycles' largest page of obligations.
ONE_FILERS_LIMIT = 5000


@router.get("/paper")
async def paper_returns(
    request: Request,
    user: CaseworkerUser,
    apis: Apis,
    session: DbSession,
    filer_id: str = "",
    saved: str = "",
) -> Response:
    cycles = apis.cycles(user.department_id)
    names = await filer_names(apis, user.department_id)
    chosen = filer_id if filer_id in names else ""
    obligations, total = await _unsettled(cycles, chosen)
    async with session.begin():
        drafted = await drafts.drafted(
            session, [o["obligation_id"] for o in obligations], PAPER.channel
        )
    rows = await return_rows(cycles, user.department_id, PAPER, obligations, drafted)
    rows.sort(key=lambda row: names.get(row.obligation["filer_id"], row.obligation["filer_id"]))
    return render(
        request,
        "paper/list.html",
        {
            "title": "Paper returns",
            "section": "paper",
            "rows": rows,
            "names": names,
            "chosen": chosen,
            "more": total > len(rows),
            "total": total,
            "saved": next((r for r in rows if r.obligation["obligation_id"] == saved), None),
        },
    )


async def _unsettled(cycles: DepartmentApi, filer_id: str) -> tuple[list[dict[str, Any]], int]:
    """The obligations not yet settled, in filer order: all of one filer's, or the first
    MAX_ROWS of everyone's; and how many there are in all. Cycles lists one status at a
    time, each in filer order."""
    limit = ONE_FILERS_LIMIT if filer_id else MAX_ROWS + 1
    lists: list[list[dict[str, Any]]] = await asyncio.gather(
        *(
            cycles.get("/obligations", filer_id=filer_id or None, status=status, limit=limit)
            for status in UNSETTLED
        )
    )
    found = sorted(chain.from_iterable(lists), key=lambda o: str(o["filer_id"]))
    total = len(found)
    if not filer_id and any(len(listed) == limit for listed in lists):
        # Some status has more than were fetched: count them all.
        counted = await cycles.get("/obligations/status-counts")
        total = max(total, sum(c["count"] for c in counted["counts"] if c["status"] in UNSETTLED))
    return (found if filer_id else found[:MAX_ROWS]), total


router.include_router(journey_router(PAPER))
