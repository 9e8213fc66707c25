"""The confirmation page (bookmarkable: it reads the return's state each time) and the
acknowledgement, fetched from cycles and served from our own origin.

The acknowledgement page (`acknowledgement.html`) is ours, in the service's layout and
written for the filer: the reference, dates in words, what was declared and the receipts
sent (from intake's version, when it is the version acknowledged). The signed document
itself is served as it was issued (`acknowledgement.json`, byte for byte, so it still
verifies), and cycles' PDF carries it attached."""

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from cabinet_web.answers_form import shown_answer
from cabinet_web.backend import Apis, DepartmentApi, NotFound, segment
from cabinet_web.journey.filing import Filing
from cabinet_web.journey.lane import Lane
from cabinet_web.journey.pages import filing_dependencies, journey_page, see_other

# A page's title by its state ("Return sent" for the rest).
_TITLES = {
    "closed": "You cannot send this return",
    "returned": "Your return was sent back to you",
    "accepted": "Return accepted",
    "preparing": "Return accepted",
    "held": "A person is checking your return",
}
# How long a person's check of a held return takes, as the filer is told.
HELD_CHECK_WORKING_DAYS = 5


def add_confirmation_routes(router: APIRouter, lane: Lane) -> None:
    base = lane.prefix + "/{obligation_id}"
    deps = filing_dependencies(lane)

    @router.get(base + "/confirmation")
    async def confirmation(
        request: Request, filing: Annotated[Filing, deps.opened], apis: Apis
    ) -> Response:
        if filing.latest is None and filing.can_send:
            return see_other(filing.base)
        acknowledgement = None
        if _accepted(filing):
            acknowledgement = await _acknowledgement(apis.cycles(filing.user.department_id), filing)
        state = _state(filing, acknowledgement)
        return journey_page(
            request,
            filing,
            "returns/confirmation.html",
            _TITLES.get(state, "Return sent"),
            state=state,
            acknowledgement=acknowledgement,
            held_check_days=HELD_CHECK_WORKING_DAYS,
        )

    @router.get(base + "/acknowledgement.html")
    async def acknowledgement_page(
        request: Request, filing: Annotated[Filing, deps.opened], apis: Apis
    ) -> Response:
        acknowledgement = await _acknowledgement(apis.cycles(filing.user.department_id), filing)
        if acknowledgement is None:
            return see_other(f"{filing.base}/confirmation")
        return acknowledgement_response(request, filing, acknowledgement)

    @router.get(base + "/acknowledgement.json")
    async def acknowledgement_json(filing: Annotated[Filing, deps.opened], apis: Apis) -> Response:
        reference = filing.acknowledgement_reference or filing.obligation_id
        return Response(
            await _acknowledgement_file(apis, filing, ""),
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="acknowledgement-{reference}.json"',
                "cache-control": "no-store",
            },
        )

    @router.get(base + "/acknowledgement.pdf")
    async def acknowledgement_pdf(filing: Annotated[Filing, deps.opened], apis: Apis) -> Response:
        name = f"acknowledgement-{filing.acknowledgement_reference or filing.obligation_id}.pdf"
        return Response(
            await _acknowledgement_file(apis, filing, "pdf"),
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="{name}"',
                "cache-control": "no-store",
            },
        )


def acknowledgement_response(
    request: Request, filing: Filing, acknowledgement: dict[str, Any]
) -> Response:
    """The filer's acknowledgement page."""
    sent = acknowledged_version(filing, acknowledgement)
    return journey_page(
        request,
        filing,
        "returns/acknowledgement.html",
        f"Acknowledgement {acknowledgement['reference']}",
        acknowledgement=acknowledgement,
        sent=sent,
        answer_rows_of=declared_rows(filing, sent) if sent else [],
        receipts_total=sum(int(r["amount_pence"]) for r in sent["receipts"]) if sent else 0,
    )


def acknowledged_version(filing: Filing, acknowledgement: dict[str, Any]) -> dict[str, Any] | None:
    """Intake's version of the return that was acknowledged (None if intake's latest is
    another version: the page then shows no figures rather than the wrong ones)."""
    latest = filing.latest
    if latest is None or latest.get("version") != acknowledgement.get("version"):
        return None
    return latest


def declared_rows(filing: Filing, sent: dict[str, Any]) -> list[dict[str, str]]:
    """Each question of the form type and the answer sent, as the filer reads it."""
    answers = sent.get("answers") or {}
    rows = []
    for field in filing.definition.fields:
        text = str(answers.get(field.id, ""))
        if field.kind == "declaration":
            value = "Confirmed" if text.strip() else "Not confirmed"
        else:
            value = shown_answer(field, text) or "Not answered"
        rows.append({"label": field.label, "value": value})
    return rows


async def _acknowledgement_file(apis: Apis, filing: Filing, extension: str) -> bytes:
    """The acknowledgement as cycles issues it: "" (the signed JSON, as signed) or "pdf"."""
    suffix = f".{extension}" if extension else ""
    fetched = await apis.cycles(filing.user.department_id).get_bytes(
        f"/obligations/{segment(filing.obligation_id)}/acknowledgement{suffix}"
    )
    return fetched.content


async def _acknowledgement(cycles: DepartmentApi, filing: Filing) -> dict[str, Any] | None:
    """The signed acknowledgement document, or None while it is being issued."""
    try:
        document: dict[str, Any] = await cycles.get(
            f"/obligations/{segment(filing.obligation_id)}/acknowledgement"
        )
    except NotFound:
        return None
    return document


def _state(filing: Filing, acknowledgement: dict[str, Any] | None) -> str:
    if filing.latest is None:
        return "closed"
    if acknowledgement is not None:
        return "accepted"
    if filing.mode == "correct":
        return "returned"
    if _accepted(filing):
        return "preparing"
    if _held(filing):
        return "held"
    return "checking"


def _held(filing: Filing) -> bool:
    """Held for a caseworker: still checking, its last change giving coded reasons (flags
    such as POSSIBLE_DUPLICATE)."""
    history = filing.obligation.get("history") or []
    return filing.obligation["status"] == "checking" and bool(
        history and history[-1].get("reasons")
    )


def _accepted(filing: Filing) -> bool:
    """Accepted (its acknowledgement issued, or being issued)."""
    return bool(filing.acknowledgement_reference) or filing.obligation["status"] == "accepted"
