"""The bootstrap every HTTP service shares: its database, its Kafka side (for the services
that have one), health and metrics endpoints, tracing and the uvicorn entry point.
Services build their routes and event handlers; this wires them."""

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, TypeVar

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.types import ASGIApp

from cabinet_common import supervision
from cabinet_common.body_limit import BodyLimit
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Topic
from cabinet_common.logging import configure_logging
from cabinet_common.messaging.consumer import AnyHandler
from cabinet_common.messaging.runtime import Messaging
from cabinet_common.migrations import ServiceSchema, check_at_head, migrate
from cabinet_common.observability.http import HttpMetrics
from cabinet_common.observability.metrics import Refresher, render
from cabinet_common.observability.tracing import configure_tracing
from cabinet_common.problems import Problem, answers
from cabinet_common.problems import install as install_problems
from cabinet_common.safe_json import StrictJson
from cabinet_common.settings import DatabaseSettings, ServiceSettings

# Keep-alive between the services: a client must stop reusing an idle connection well
# before the server closes it. Were both 5 s (uvicorn's and httpx's defaults), a request
# sent on a connection idle for nearly 5 s could cross the server's close on a loaded
# machine, and fail with nothing answered (httpx.ReadError or RemoteProtocolError), which
# the web pages show as a 503 (the likely cause of a receipt file's 503 in a CI run). The
# servers keep an idle connection open 75 s; the callers (cabinet_web.backend) give one
# up after 5 s.
SERVER_KEEP_ALIVE_SECONDS = 75
CLIENT_KEEP_ALIVE_SECONDS = 5.0


@dataclass(frozen=True)
class ServiceRuntime:
    engine: AsyncEngine
    sessions: Sessions
    # None for a service that neither consumes nor publishes events (the web pages).
    messaging: Messaging | None = None


@asynccontextmanager
async def database_runtime(
    settings: ServiceSettings, schema: ServiceSchema
) -> AsyncIterator[ServiceRuntime]:
    """The service's database, which `cabinet-<service> migrate` must have brought to this
    code's head revision first (SchemaNotCurrent otherwise: the service does not start)."""
    engine = create_engine(settings.database_url)
    try:
        await check_at_head(engine, schema)
        yield ServiceRuntime(engine, session_factory(engine))
    finally:
        await engine.dispose()


@asynccontextmanager
async def service_runtime(
    settings: ServiceSettings,
    schema: ServiceSchema,
    group_id: str,
    handlers: Mapping[Topic, AnyHandler],
) -> AsyncIterator[ServiceRuntime]:
    async with database_runtime(settings, schema) as runtime:
        messaging = Messaging(settings, runtime.sessions, group_id, handlers)
        await messaging.start()
        try:
            yield ServiceRuntime(runtime.engine, runtime.sessions, messaging)
        finally:
            await messaging.stop()


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


BUSY_RETRY_AFTER_SECONDS = 5


@answers(
    {
        503: {
            "description": "Busy: no database connection came free in time; send the same "
            "request again after Retry-After (with the same Idempotency-Key, if any)",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    }
)
async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_session)]

health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/readyz", responses={503: {"description": "Not ready: the reason given"}})
async def readiness(request: Request) -> dict[str, object]:
    runtime = runtime_of(request)
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        raise Problem(503, "DATABASE_UNAVAILABLE", f"database unavailable: {error}") from error
    if runtime.messaging is not None and not runtime.messaging.healthy:
        raise Problem(503, "MESSAGING_STOPPED", "messaging stopped")
    # Still ready while waiting: requests that need only this service's database are served.
    waiting = runtime.messaging.waiting if runtime.messaging is not None else []
    return {"status": "ready", "waiting": waiting} if waiting else {"status": "ready"}


def create_service_app(
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    max_request_bytes: int,
) -> FastAPI:
    """A service's FastAPI app: its health endpoints, every error answered (and
    documented) as an RFC 9457 problem document, and request bodies cut off (413) as soon
    as they pass `max_request_bytes`; JSON bodies nested too deep or holding NaN or
    Infinity refused with a 422 (cabinet_common.safe_json)."""
    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    install_problems(app)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)
    # Added last, run first: the body is bounded before StrictJson reads it.
    app.add_middleware(StrictJson)
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes)
    app.include_router(health_router)
    observe(app)
    return app


async def _on_pool_timeout(request: Request, error: Exception) -> Response:
    """Every pooled connection stayed busy past the pool's timeout: the service is
    overloaded, not broken. A 503 with Retry-After tells a client to come back, where a 500
    would say something is wrong."""
    return Problem(
        503,
        "SERVICE_BUSY",
        "The service is busy; try again shortly",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    ).response()


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics; gauges of stored state are worked out now, for this scrape."""
    refreshers: list[Refresher] = list(getattr(request.app.state, "metrics_refreshers", []))
    runtime: ServiceRuntime | None = getattr(request.app.state, "runtime", None)
    if runtime is not None and runtime.messaging is not None:
        refreshers.insert(0, runtime.messaging.refresh_metrics)
    body, content_type = await render(refreshers)
    return Response(body, media_type=content_type)


def observe(app: FastAPI) -> None:
    """Every service's app: /metrics, request metrics by route template, and a server span
    per request (health and metrics requests are not traced)."""
    app.include_router(metrics_router)
    app.add_middleware(HttpMetrics)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def server_config(app: ASGIApp, settings: ServiceSettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
    )


def serve(app: ASGIApp, settings: ServiceSettings, service: str) -> None:
    configure_logging(service, settings.log_level, settings.log_json)
    configure_tracing(service, settings)
    # Calls to the other services' APIs (the web pages') carry the trace on.
    HTTPXClientInstrumentor().instrument()
    server = uvicorn.Server(server_config(app, settings))

    def shut_down() -> None:
        server.should_exit = True

    supervision.stop_process = shut_down
    server.run()
    # A background loop died and stopped the server: say so, so the process is restarted.
    sys.exit(supervision.exit_status())


Settings = TypeVar("Settings", bound=ServiceSettings)


def service_main(
    schema: ServiceSchema,
    settings_type: type[Settings],
    create_app: Callable[[Settings], ASGIApp],
) -> None:
    """`cabinet-<service>` serves the API; `cabinet-<service> migrate` brings its database
    to the newest revision (reading only CABINET_DATABASE_URL) and exits."""
    command = sys.argv[1:]
    if command == ["migrate"]:
        configure_logging(schema.service)
        asyncio.run(migrate(DatabaseSettings().database_url, schema))
        return
    if command:
        sys.exit(f"usage: cabinet-{schema.service} [migrate]")
    settings = settings_type()
    serve(create_app(settings), settings, schema.service)
