import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.worker import Worker

from cabinet_common.auth.api import install_token_verifier
from cabinet_common.service import create_service_app, service_main, service_runtime
from cabinet_common.supervision import supervised
from cabinet_common.temporal import connect, connect_when_up
from cabinet_cycles.acknowledgements_api import router as acknowledgements_router
from cabinet_cycles.api import router
from cabinet_cycles.audit.api import router as audit_router
from cabinet_cycles.caseworker_api import router as caseworker_router
from cabinet_cycles.dead_letters_api import router as dead_letters_router
from cabinet_cycles.event_handlers import CyclesEventHandlers
from cabinet_cycles.filers_api import router as filers_router
from cabinet_cycles.form_types_api import router as form_types_router
from cabinet_cycles.metrics import obligations_refresher
from cabinet_cycles.migrations import SCHEMA
from cabinet_cycles.quarter_api import router as quarter_router
from cabinet_cycles.quarters import QuarterActivities, QuarterOpener
from cabinet_cycles.schedules import ScheduleKeeper
from cabinet_cycles.settings import CyclesSettings


def create_app(settings: CyclesSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await connect(settings, lazy=True)
        handlers = CyclesEventHandlers(
            client, settings.obligation_task_queue, settings.signer
        ).by_topic()
        opener = QuarterOpener(client, settings)
        async with service_runtime(settings, SCHEMA, "cabinet-cycles", handlers) as runtime:
            activities = QuarterActivities(
                runtime.sessions, client, opener, settings.obligation_task_queue, settings.signer
            )

            # The quarter workflow's activities need this service's register, so they run
            # here, once Temporal answers: the API starts without it.
            async def run_worker() -> None:
                worker = Worker(
                    await connect_when_up(settings),
                    task_queue=settings.cycles_task_queue,
                    activities=activities.all(),
                )
                await worker.run()

            worker_task = supervised("quarter activity worker", run_worker)
            app.state.runtime = runtime
            app.state.metrics_refreshers = [obligations_refresher(runtime.sessions)]
            app.state.temporal = client
            app.state.opener = opener
            app.state.schedule_keeper = ScheduleKeeper(client, settings)
            try:
                yield
            finally:
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task

    app = create_service_app("Cabinet cycles", lifespan, settings.max_request_bytes)

    install_token_verifier(app, settings.auth_trusted_keys_dir)
    app.state.settings = settings
    app.include_router(router)
    app.include_router(form_types_router)
    app.include_router(filers_router)
    app.include_router(audit_router)
    app.include_router(acknowledgements_router)
    app.include_router(quarter_router)
    app.include_router(caseworker_router)
    app.include_router(dead_letters_router)
    return app


def main() -> None:
    service_main(SCHEMA, CyclesSettings, create_app)
