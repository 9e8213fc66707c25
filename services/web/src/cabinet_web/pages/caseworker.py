"""Caseworkers' pages: the queue (pages.queue), one obligation with its latest return
(pages.case), a possible duplicate compared with the receipts it looks like
(pages.compare), and the decisions on it (pages.decisions)."""

from fastapi import APIRouter

from cabinet_web.pages import case, compare, decisions, queue

router = APIRouter()
for pages in (queue, case, compare, decisions):
    router.include_router(pages.router)
