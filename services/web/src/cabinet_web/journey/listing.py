"""Rows for the lists of returns (the filer's "Your returns", the caseworker's paper
returns): each obligation with its form's name, its period and the action that fits."""

import asyncio
from dataclasses import dataclass
from typing import Any

from cabinet_web.backend import DepartmentApi
from cabinet_web.journey.definitions import obligation_form, period_words
from cabinet_web.journey.lane import Lane

FILEABLE = frozenset({"open", "overdue", "escalated"})


@dataclass(frozen=True)
class ReturnRow:
    obligation: dict[str, Any]
    title: str  # "VAT return for October to December 2026"
    action: str  # "" when there is nothing to do
    href: str
    draft_saved: bool

    @property
    def status(self) -> str:
        return str(self.obligation["status"])


async def return_rows(
    cycles: DepartmentApi,
    department_id: str,
    lane: Lane,
    obligations: list[dict[str, Any]],
    drafted: set[str],
) -> list[ReturnRow]:
    forms = await asyncio.gather(*(obligation_form(cycles, department_id, o) for o in obligations))
    rows = [
        _row(lane, obligation, definition.name, obligation["obligation_id"] in drafted)
        for obligation, (_, definition) in zip(obligations, forms, strict=True)
    ]
    return sorted(rows, key=lambda r: (r.obligation["period_start"], r.title), reverse=True)


def _row(lane: Lane, obligation: dict[str, Any], form_name: str, draft: bool) -> ReturnRow:
    base = lane.base(obligation["obligation_id"])
    title = f"{form_name} for {period_words(obligation['period_start'], obligation['period_end'])}"
    status = obligation["status"]
    paper = lane.channel == "paper"
    if status == "returned":
        action = "Key in a corrected return" if paper else "View returned reasons and correct"
        href = base
    elif status == "accepted":
        action, href = "View acknowledgement", f"{base}/confirmation"
    elif status in FILEABLE and not obligation.get("submission_id"):
        if draft:
            action = "Continue keying" if paper else "Continue"
        else:
            action = "Key in a paper return" if paper else "Start"
        href = base
    elif obligation.get("submission_id"):
        action, href = "View what was sent", f"{base}/confirmation"
    else:
        action, href = "", ""
    return ReturnRow(obligation, title, action, href, draft and href == base)
