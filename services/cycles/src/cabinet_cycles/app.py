from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cabinet_common.service import health_router, serve, service_runtime
from cabinet_common.temporal import connect
from cabinet_cycles.api import router
from cabinet_cycles.event_handlers import CyclesEventHandlers
from cabinet_cycles.settings import CyclesSettings


def create_app(settings: CyclesSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await connect(settings)
        handlers = CyclesEventHandlers(client, settings.obligation_task_queue).by_topic()
        async with service_runtime(settings, "cabinet-cycles", handlers) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(title="Cabinet cycles", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(health_router)
    app.include_router(router)
    return app


def main() -> None:
    settings = CyclesSettings()
    serve(create_app(settings), settings, "cycles")
