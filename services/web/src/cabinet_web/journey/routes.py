"""One journey, two lanes: the same routes under /returns (the filer) and /paper (a
caseworker keying in a paper return)."""

from fastapi import APIRouter

from cabinet_web.journey.confirmation import add_confirmation_routes
from cabinet_web.journey.lane import Lane
from cabinet_web.journey.questions import add_question_routes
from cabinet_web.journey.receipts import add_receipt_routes
from cabinet_web.journey.sending_pages import add_sending_routes


def journey_router(lane: Lane) -> APIRouter:
    router = APIRouter()
    add_question_routes(router, lane)
    add_receipt_routes(router, lane)
    add_sending_routes(router, lane)
    add_confirmation_routes(router, lane)
    return router
