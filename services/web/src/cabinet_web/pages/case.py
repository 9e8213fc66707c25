"""A caseworker's view of one obligation: its latest return (answers, receipts viewable
inline, earlier versions) and what can be decided on it; and the receipts' files."""

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_web.backend import Apis, DepartmentApi, NotFound, segment
from cabinet_web.casework import answer_rows, file_kind, file_size, viewer
from cabinet_web.formatting import long_date, money
from cabinet_web.journey.definitions import shown_form
from cabinet_web.obligations import SETTLED, intake_obligation
from cabinet_web.reason_codes import reason_words
from cabinet_web.receipt_file_response import receipt_file_response
from cabinet_web.receipt_reading import reading_view
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()

SECTION = "queue"
# Statuses a checked submission can be accepted from (the workflow refuses the rest).
ACCEPTABLE = frozenset({"checking", "returned", "overdue", "escalated"})

DONE = {
    "accepted": "Return accepted",
    "returned": "Return sent back to the filer",
    "waived": "Return waived",
    "extended": "Due date extended",
}


async def read_obligation(cycles: DepartmentApi, obligation_id: str) -> dict[str, Any]:
    """Cycles' obligation (its status, due date and history)."""
    obligation: dict[str, Any] = await cycles.get(f"/obligations/{segment(obligation_id)}")
    return obligation


async def load_case(apis: Apis, department_id: str, obligation_id: str) -> dict[str, Any]:
    """Everything the obligation page and the decision pages show."""
    cycles = apis.cycles(department_id)
    intake = apis.intake(department_id)
    obligation = await read_obligation(cycles, obligation_id)
    form_type_id = obligation["form_type_id"]
    definition = await shown_form(cycles, department_id, obligation)
    # Intake's word on the submission: cycles learns of one a moment after intake takes it.
    known = await intake_obligation(intake, obligation["obligation_id"]) or {}
    submission_id = known.get("submission_id") or obligation.get("submission_id")
    submission = None
    latest = None
    if submission_id:
        submission = await intake.get(f"/submissions/{segment(submission_id)}")
        latest = next(
            (v for v in submission["versions"] if v["version"] == submission["current_version"]),
            submission["versions"][-1] if submission["versions"] else None,
        )
    base = f"/queue/{segment(obligation['obligation_id'])}"
    status = obligation["status"]
    receipts = (
        [
            receipt_view(number, receipt, base, receipt_outcome(receipt, latest, status))
            for number, receipt in enumerate(latest["receipts"], 1)
        ]
        if latest
        else []
    )
    fields = [f.model_dump(mode="json") for f in definition.fields] if definition else []
    return {
        "obligation": obligation,
        "base": base,
        "form_name": definition.name if definition else form_type_id,
        "reference": known.get("acknowledgement_reference"),
        "definition": definition,
        "submission": submission,
        "latest": latest,
        "version_reasons": [reason_view(r) for r in latest["return_reasons"]] if latest else [],
        "answers": answer_rows(fields, latest["answers"]) if latest else [],
        "receipts": receipts,
        "receipts_total": sum(r["amount_pence"] for r in receipts),
        "earlier_versions": [
            {**v, "reasons": [reason_view(r) for r in v["return_reasons"]]}
            for v in (submission["versions"] if submission else [])
            if latest and v["version"] != latest["version"]
        ][::-1],
        "latest_event": obligation["history"][-1] if obligation["history"] else None,
        "history": [
            {**entry, "detail": history_words(str(entry.get("detail") or ""), submission)}
            for entry in obligation["history"]
        ],
        "settled": status in SETTLED,
        "can_accept": can_accept(status, latest),
        "can_return": can_return(status, latest),
        "with_filer": bool(latest and latest.get("returned")) and status not in SETTLED,
        # A version not checked yet can be returned only as a whole (the workflow knows
        # its receipts once the receipts service has checked them).
        "receipts_returnable": status != "submitted",
    }


_RECEIPT_ID = re.compile(
    r"\breceipts? ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def history_words(detail: str, submission: dict[str, Any] | None) -> str:
    """A history entry in words: "receipt 6c0b4ef0-…" becomes "receipt 2 of version 1
    (Taxi Co, £43.21, 5 March 2026)", as the receipts are numbered on the page."""
    named: dict[str, str] = {}
    for version in (submission or {}).get("versions", []):
        for number, receipt in enumerate(version.get("receipts", []), 1):
            named.setdefault(
                str(receipt["receipt_id"]),
                f"receipt {number} of version {version['version']} ({receipt_words(receipt)})",
            )

    def words(match: re.Match[str]) -> str:
        return named.get(match.group(1), "a receipt")

    return _RECEIPT_ID.sub(words, detail)


def receipt_words(receipt: dict[str, Any]) -> str:
    """What a receipt is, in words: "Taxi Co, £43.21, 5 March 2026"."""
    parts = [
        str(receipt.get("payee") or ""),
        money(receipt.get("amount_pence")),
        long_date(receipt.get("date")),
    ]
    return ", ".join(part for part in parts if part)


def can_accept(status: str, latest: dict[str, Any] | None) -> bool:
    """A version can be accepted while it is with the department: not once it has been
    returned to the filer (their next version is the one to decide on)."""
    return latest is not None and not latest.get("returned") and status in ACCEPTABLE


def can_return(status: str, latest: dict[str, Any] | None) -> bool:
    """As can_accept: a version returned already cannot be returned again."""
    return latest is not None and not latest.get("returned") and status not in SETTLED


def reason_view(reason: dict[str, Any]) -> dict[str, str]:
    return {"code": reason["code"], "words": reason_words(reason["code"]), **reason}


def receipt_outcome(receipt: dict[str, Any], latest: dict[str, Any], status: str) -> str:
    """What became of a receipt of the latest version, as far as intake and cycles know."""
    if status == "accepted":
        return "Accepted"
    if receipt.get("returned"):
        return "Returned"
    if latest.get("returned"):
        return "Not returned: the filer can keep it"
    return "Not decided yet"


POSSIBLE_DUPLICATE = "POSSIBLE_DUPLICATE"


def receipt_view(number: int, receipt: dict[str, Any], base: str, outcome: str) -> dict[str, Any]:
    """One receipt as the caseworker pages show it; one flagged as a possible duplicate
    links to its side-by-side comparison (pages.compare)."""
    possible_duplicate = any(f["code"] == POSSIBLE_DUPLICATE for f in receipt.get("flags", []))
    return {
        **receipt,
        "number": number,
        "outcome": outcome,
        "kind": file_kind(receipt["media_type"]),
        "size": file_size(receipt["size_bytes"]),
        "viewer": viewer(receipt["media_type"]),
        "file_url": f"{base}/receipts/{segment(receipt['receipt_id'])}/file",
        "reasons": [reason_view(r) for r in receipt.get("return_reasons", [])],
        "flags": [reason_view(r) for r in receipt.get("flags", [])],
        "reading": reading_view(receipt.get("reading"), receipt["amount_pence"]),
        "possible_duplicate": possible_duplicate,
        "compare_url": f"{base}/receipts/{segment(receipt['receipt_id'])}/compare"
        if possible_duplicate
        else None,
    }


@router.get("/queue/{obligation_id}")
async def obligation_page(
    request: Request, obligation_id: str, user: CaseworkerUser, apis: Apis, done: str = ""
) -> Response:
    case = await load_case(apis, user.department_id, obligation_id)
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
    known = await intake_obligation(intake, obligation_id) or {}
    if not known.get("submission_id"):
        raise NotFound("nothing submitted yet")
    upstream = await intake.get_bytes(
        f"/submissions/{segment(known['submission_id'])}/receipts/{segment(receipt_id)}/file"
    )
    return receipt_file_response(
        upstream.content,
        upstream.headers.get("content-type", "application/octet-stream"),
        upstream.headers.get("content-disposition", "inline"),
    )
