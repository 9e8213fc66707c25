"""The caseworker's paper-return lane: the obligations not yet accepted (of one filer, if
chosen), and the same return journey as filers', under /paper/{obligation_id}."""

from fastapi import APIRouter, Request, Response

from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.backend import Apis
from cabinet_web.journey.filing import filer_names
from cabinet_web.journey.lane import PAPER
from cabinet_web.journey.listing import SETTLED, return_rows
from cabinet_web.journey.outage import unavailable_as_503
from cabinet_web.journey.routes import journey_router
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()
MAX_ROWS = 200


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
    with unavailable_as_503():
        names = await filer_names(apis, user.department_id)
        chosen = filer_id if filer_id in names else ""
        listed = await cycles.get("/obligations", filer_id=chosen or None)
    obligations = [o for o in listed if o["status"] not in SETTLED][:MAX_ROWS]
    async with session.begin():
        drafted = await drafts.drafted(
            session, [o["obligation_id"] for o in obligations], PAPER.channel
        )
    with unavailable_as_503():
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
            "more": len(obligations) == MAX_ROWS,
            "saved": next((r for r in rows if r.obligation["obligation_id"] == saved), None),
        },
    )


router.include_router(journey_router(PAPER))
