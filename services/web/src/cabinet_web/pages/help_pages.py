"""Pages for everyone, signed in or not: accessibility, help and contact, and what to do
about a forgotten password (accounts are made by the department's admin, who also
resets passwords: Cabinet sends no email)."""

from typing import Any

from fastapi import APIRouter, Request, Response

from cabinet_web.sessions import MaybeSignedIn
from cabinet_web.templating import render

router = APIRouter()


@router.get("/accessibility")
async def accessibility_statement(request: Request, _: MaybeSignedIn) -> Response:
    return render(request, "accessibility.html", {"title": "Accessibility statement"})


@router.get("/help")
async def help_page(request: Request, _: MaybeSignedIn) -> Response:
    return render(request, "help.html", {"title": "Help and contact", **contact(request)})


@router.get("/forgotten-password")
async def forgotten_password(request: Request, _: MaybeSignedIn) -> Response:
    return render(
        request,
        "forgotten_password.html",
        {"title": "If you have forgotten your password", **contact(request)},
    )


def contact(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "support_email": settings.support_email,
        "support_phone": settings.support_phone,
        "support_hours": settings.support_hours,
    }
