"""Caseworkers' pages: the queue (pages.queue), one obligation with its latest return
(pages.case), and the decisions on it (pages.decisions)."""

from fastapi import APIRouter

from cabinet_web.pages import case, decisions, queue

router = APIRouter()
for pages in (queue, case, decisions):
    router.include_router(pages.router)
