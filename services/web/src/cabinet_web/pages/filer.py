"""The filer's pages: "Your returns", and the return journey under /returns/{obligation_id}."""

from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_common.service import DbSession
from cabinet_web import drafts
from cabinet_web.backend import Apis
from cabinet_web.journey.lane import FILER
from cabinet_web.journey.listing import return_rows
from cabinet_web.journey.routes import journey_router
from cabinet_web.sessions import FilerUser
from cabinet_web.templating import render

router = APIRouter()


@router.get("/returns")
async def your_returns(
    request: Request, user: FilerUser, apis: Apis, session: DbSession, saved: str = ""
) -> Response:
    cycles = apis.cycles(user.department_id)
    obligations: list[dict[str, Any]] = []
    if user.filer_id:  # never None here: without it the list would be the department's
        obligations = await cycles.get("/obligations", filer_id=user.filer_id)
    async with session.begin():
        drafted = await drafts.drafted(
            session, [o["obligation_id"] for o in obligations], FILER.channel
        )
    rows = await return_rows(cycles, user.department_id, FILER, obligations, drafted)
    return render(
        request,
        "filer/returns.html",
        {
            "title": "Your returns",
            "section": "returns",
            "rows": rows,
            "saved": next((r for r in rows if r.obligation["obligation_id"] == saved), None),
        },
    )


router.include_router(journey_router(FILER))
