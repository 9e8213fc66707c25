"""Pages for everyone, signed in or not."""

from fastapi import APIRouter, Request, Response

from cabinet_web.templating import render

router = APIRouter()


@router.get("/accessibility")
async def accessibility_statement(request: Request) -> Response:
    return render(request, "accessibility.html", {"title": "Accessibility statement"})
