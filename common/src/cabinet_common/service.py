"""The bootstrap every HTTP service shares: its database, its Kafka side (for the services
that have one), health endpoints and the uvicorn entry point. Services build their routes
and event handlers; this wires them."""

import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import uvicorn
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.types import ASGIApp

from cabinet_common import supervision
from cabinet_common.database import Sessions, create_engine, create_schema, session_factory
from cabinet_common.events import Topic
from cabinet_common.logging import configure_logging
from cabinet_common.messaging.consumer import Handler
from cabinet_common.messaging.runtime import Messaging
from cabinet_common.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceRuntime:
    engine: AsyncEngine
    sessions: Sessions
    # None for a service that neither consumes nor publishes events (the web pages).
    messaging: Messaging | None = None


@asynccontextmanager
async def database_runtime(settings: ServiceSettings) -> AsyncIterator[ServiceRuntime]:
    engine = create_engine(settings.database_url)
    await create_schema(engine)
    try:
        yield ServiceRuntime(engine, session_factory(engine))
    finally:
        await engine.dispose()


@asynccontextmanager
async def service_runtime(
    settings: ServiceSettings, group_id: str, handlers: Mapping[Topic, Handler]
) -> AsyncIterator[ServiceRuntime]:
    async with database_runtime(settings) as runtime:
        messaging = Messaging(settings, runtime.sessions, group_id, handlers)
        await messaging.start()
        try:
            yield ServiceRuntime(runtime.engine, runtime.sessions, messaging)
        finally:
            await messaging.stop()


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_session)]

health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/readyz")
async def readiness(request: Request, response: Response) -> dict[str, str]:
    runtime = runtime_of(request)
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        response.status_code = 503
        return {"status": "database unavailable", "error": str(error)}
    if runtime.messaging is not None and not runtime.messaging.healthy:
        response.status_code = 503
        return {"status": "messaging stopped"}
    return {"status": "ready"}


def serve(app: ASGIApp, settings: ServiceSettings, service: str) -> None:
    configure_logging(service, settings.log_level, settings.log_json)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None)
    )

    def shut_down() -> None:
        server.should_exit = True

    supervision.stop_process = shut_down
    server.run()
    # A background loop died and stopped the server: say so, so the process is restarted.
    sys.exit(supervision.exit_status())
