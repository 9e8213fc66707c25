"""The confirmation page (bookmarkable: it reads the return's state each time) and the
acknowledgement, fetched from cycles and served from our own origin.

The acknowledgement's HTML carries its own <style> block, which our pages' CSP forbids:
it is served with a CSP of its own that sandboxes it (no scripts, no same-origin access,
nothing loaded) and allows only its inline style. The confirmation page shows the
acknowledgement's facts in our own template, and links to the HTML and the PDF."""

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

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
ACKNOWLEDGEMENT_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


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
    async def acknowledgement_html(filing: Annotated[Filing, deps.opened], apis: Apis) -> Response:
        return Response(
            await _acknowledgement_file(apis, filing, "html"),
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": ACKNOWLEDGEMENT_CSP, "cache-control": "no-store"},
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


async def _acknowledgement_file(apis: Apis, filing: Filing, extension: str) -> bytes:
    """The acknowledgement as cycles renders it: "html" or "pdf"."""
    fetched = await apis.cycles(filing.user.department_id).get_bytes(
        f"/obligations/{segment(filing.obligation_id)}/acknowledgement.{extension}"
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
