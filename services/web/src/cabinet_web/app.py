"""The web service: GOV.UK Design System pages for filers, caseworkers and operators."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import structlog
from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Scope, Send

from cabinet_common.auth.tokens import TokenMinter
from cabinet_common.body_limit import BodyLimit
from cabinet_common.service import database_runtime, observe, service_main
from cabinet_web import filer_clients, multipart_csrf, temporal_codec
from cabinet_web.backend import Backend, NotFound, Refused
from cabinet_web.journey.pages import SeeOther
from cabinet_web.migrations import SCHEMA
from cabinet_web.pages import (
    account,
    caseworker,
    dead_letters,
    filer,
    help_pages,
    operator,
    paper,
)
from cabinet_web.security_headers import SecurityHeaders
from cabinet_web.sessions import NoAccess, SignInRequired
from cabinet_web.settings import WebSettings
from cabinet_web.templating import render

STATIC = Path(__file__).parent / "static"

log = structlog.get_logger(__name__)
# How long a 503 page asks a client to wait before trying again.
RETRY_AFTER_SECONDS = 30


def create_app(settings: WebSettings) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with database_runtime(settings, SCHEMA) as runtime:
            app.state.runtime = runtime
            app.state.backend = Backend(
                settings.intake_url,
                settings.cycles_url,
                settings.receipts_url,
                minter=_minter(settings),
            )
            try:
                yield
            finally:
                await app.state.backend.close()

    app = FastAPI(
        title="Cabinet web",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    # The Temporal Web UI decodes payloads through /temporal-codec (operators only).
    app.state.temporal_codec = (
        settings.payload_codec() if settings.temporal_payload_key_file is not None else None
    )

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, error: SignInRequired) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(SeeOther)
    async def see_other(request: Request, error: SeeOther) -> Response:
        return RedirectResponse(error.url, status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return render(request, "not_found.html", {"title": "Page not found"}, status_code=404)

    @app.exception_handler(NoAccess)
    async def no_access(request: Request, error: NoAccess) -> Response:
        return render(
            request, "no_access.html", {"title": "You do not have access to this page"}, 403
        )

    @app.exception_handler(httpx.HTTPError)
    async def unavailable(request: Request, error: httpx.HTTPError) -> Response:
        """Intake or cycles cannot answer (down, restarting, or a 5xx): every page says
        so, with a 503, instead of failing with a 500."""
        log.warning("backend unavailable", path=request.url.path, error=repr(error))
        return _unavailable_page(request)

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        """A refusal no page turned into a form error: its words, with its status."""
        return _error_page(request, error.detail, error.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return await not_found(request, NotFound())
        if error.status_code == 503:
            return _unavailable_page(request)
        return _error_page(request, error.detail, error.status_code)

    @app.get("/healthz", include_in_schema=False)
    async def liveness() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readiness(request: Request) -> dict[str, str]:
        # Only this service's own database: with intake or cycles away the pages still
        # serve what they can and say plainly what is unavailable (the 503 page), so
        # taking web out of its Service would only hide that.
        async with request.app.state.runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return {"status": "ready"}

    observe(app)
    app.mount("/assets", StaticFiles(directory=STATIC / "govuk", check_dir=False), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for pages in (account, filer, caseworker, operator, dead_letters, help_pages, paper):
        app.include_router(pages.router)
    app.include_router(filer_clients.router)
    app.include_router(temporal_codec.router)

    multipart_csrf.install()
    protected = asgi_csrf(
        app,
        signing_secret=settings.secret_key.get_secret_value(),
        # Sign-in has no session cookie yet, and still needs the check (login CSRF).
        always_protect={"/sign-in"},
        # Filing software authenticates with its client secret; it has no cookies or forms.
        # The Temporal UI's codec calls carry JSON, no form; CORS admits only the UI's
        # origin, and decoding changes nothing.
        skip_if_scope=lambda scope: (
            scope["path"] == "/oauth/token" or scope["path"].startswith(temporal_codec.PREFIX + "/")
        ),
        cookie_secure=settings.cookie_secure,
        cookie_samesite="Lax",
        send_csrf_failed=_csrf_failed,
    )
    # Outermost but for the headers: the CSRF check reads form bodies itself.
    return SecurityHeaders(BodyLimit(protected, settings.max_request_bytes))


def _minter(settings: WebSettings) -> TokenMinter | None:
    if settings.auth_private_key_file is None:
        log.warning("no CABINET_AUTH_PRIVATE_KEY_FILE: intake and cycles will refuse every call")
        return None
    return TokenMinter.from_file(settings.auth_private_key_file, "cabinet-web")


def _unavailable_page(request: Request) -> Response:
    response = render(
        request,
        "service_unavailable.html",
        {"title": "Sorry, the service is unavailable"},
        status_code=503,
    )
    response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return response


def _error_page(request: Request, detail: str, status_code: int) -> Response:
    return render(
        request,
        "error.html",
        {"title": "Sorry, there is a problem", "detail": detail},
        status_code=status_code,
    )


CSRF_FAILED_PAGE = (STATIC / "csrf_failed.html").read_bytes()


async def _csrf_failed(scope: Scope, send: Send, message_id: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": CSRF_FAILED_PAGE})


def main() -> None:
    service_main(SCHEMA, WebSettings, create_app)
