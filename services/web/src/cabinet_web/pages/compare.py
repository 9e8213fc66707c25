"""A caseworker's side-by-side comparison of a receipt flagged as a possible duplicate with
the receipts it looks like, which the receipts service names (issue 12, item 5). Staff of
the department may see every filing of it, so the other receipt's filer and return are
shown; a filer is never shown any of this. From here the caseworker accepts the return or
returns the receipt, with the same forms (and the same POSTs) as the decision pages."""

from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_web.backend import Apis, NotFound, segment
from cabinet_web.journey.definitions import shown_form
from cabinet_web.obligations import intake_obligation
from cabinet_web.pages.case import (
    SECTION,
    load_case,
    read_obligation,
    receipt_outcome,
    receipt_view,
)
from cabinet_web.pages.decisions import receipt_reason_choices
from cabinet_web.sessions import CaseworkerUser
from cabinet_web.templating import render

router = APIRouter()


async def lookalikes(apis: Apis, department_id: str, receipt_id: str) -> list[dict[str, str]]:
    """The receipt lines the receipts service found like this one ({receipt_id,
    obligation_id}); none when it has not checked the receipt."""
    try:
        found = await apis.receipts(department_id).get(
            f"/receipts/{segment(receipt_id)}/lookalikes"
        )
    except NotFound:
        return []
    return list(found["lookalikes"])


async def other_receipt(
    apis: Apis, department_id: str, case: dict[str, Any], lookalike: dict[str, str]
) -> dict[str, Any] | None:
    """A lookalike as the page shows it: the receipt, and the filing it belongs to. A
    receipt of this return's latest version (repeated in it) is shown from the case; one
    of its earlier versions is no duplicate (the checks never flag those) and is left out,
    as is one whose filing can no longer be read."""
    obligation_id = lookalike["obligation_id"]
    if obligation_id == case["obligation"]["obligation_id"]:
        same = next(
            (r for r in case["receipts"] if r["receipt_id"] == lookalike["receipt_id"]), None
        )
        if same is None:
            return None
        return {
            "receipt": same,
            "obligation": case["obligation"],
            "form_name": case["form_name"],
            "version": case["latest"]["version"],
            "same_return": True,
            "url": case["base"],
        }
    try:
        obligation = await read_obligation(apis.cycles(department_id), obligation_id)
        intake = apis.intake(department_id)
        known = await intake_obligation(intake, obligation_id) or {}
        if not known.get("submission_id"):
            return None
        submission = await intake.get(f"/submissions/{segment(known['submission_id'])}")
    except NotFound:
        return None
    base = f"/queue/{segment(obligation_id)}"
    # The latest version holding it (a receipt kept when a return is corrected stays).
    for version in reversed(submission["versions"]):
        for number, receipt in enumerate(version["receipts"], 1):
            if receipt["receipt_id"] == lookalike["receipt_id"]:
                definition = await shown_form(apis.cycles(department_id), department_id, obligation)
                outcome = receipt_outcome(receipt, version, obligation["status"])
                return {
                    "receipt": receipt_view(number, receipt, base, outcome),
                    "obligation": obligation,
                    "form_name": definition.name if definition else obligation["form_type_id"],
                    "version": version["version"],
                    "same_return": False,
                    "url": base,
                }
    return None


def comparison_title(number: int, count: int) -> str:
    if count == 1:
        return f"Compare receipt {number} with the receipt it looks like"
    return f"Compare receipt {number} with the receipts it looks like"


@router.get("/queue/{obligation_id}/receipts/{receipt_id}/compare")
async def compare_page(
    request: Request, obligation_id: str, receipt_id: str, user: CaseworkerUser, apis: Apis
) -> Response:
    """404 for an obligation of another department (cycles finds none) and for a receipt
    that is not of the latest version of this one."""
    department_id = user.department_id
    case = await load_case(apis, department_id, obligation_id)
    receipt = next((r for r in case["receipts"] if r["receipt_id"] == receipt_id), None)
    if receipt is None:
        raise NotFound("not a receipt of the latest version")
    others = [
        shown
        for lookalike in await lookalikes(apis, department_id, receipt_id)
        if (shown := await other_receipt(apis, department_id, case, lookalike)) is not None
    ]
    number = receipt["number"]
    # The return can be decided here when this receipt is its only question: every other
    # receipt of the version passed the checks without a flag.
    others_to_check = [
        r["number"]
        for r in case["receipts"]
        if r["receipt_id"] != receipt_id and (r["flags"] or r["reasons"])
    ]
    n = str(number)
    values = {
        "version": str(case["latest"]["version"]) if case["latest"] else "",
        f"receipt-{n}-decision": "return",
        f"receipt-{n}-reason": "POSSIBLE_DUPLICATE",
        f"receipt-{n}-note": next(
            (f["message"] for f in receipt["flags"] if f["code"] == "POSSIBLE_DUPLICATE"), ""
        ),
    }
    return render(
        request,
        "caseworker/compare.html",
        {
            **case,
            "title": comparison_title(number, len(others)),
            "section": SECTION,
            "receipt": receipt,
            "others": others,
            "others_to_check": others_to_check,
            "accepted_receipts": [r for r in case["receipts"] if r["receipt_id"] != receipt_id],
            "values": values,
            "problems": None,
            "receipt_reason_choices": receipt_reason_choices(),
        },
    )
