"""Jinja with the GOV.UK Frontend macros, and the one way pages are rendered."""

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from cabinet_web.formatting import FILTERS

_environment = Environment(
    loader=ChoiceLoader(
        [
            PackageLoader("cabinet_web"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters.update(FILTERS)
templates = Jinja2Templates(env=_environment)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A page: every form on it gets the CSRF token, every page the signed-in user."""
    get_token = request.scope.get("csrftoken")
    page = {
        "user": getattr(request.state, "user", None),
        "csrf_token": get_token() if get_token else "",
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    # Pages show one department's records: never kept by a shared desktop's cache.
    response.headers["cache-control"] = "no-store"
    return response
