from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cabinet_common.auth.api import install_token_verifier
from cabinet_common.service import health_router, serve, service_runtime
from cabinet_intake.api import Refused, router
from cabinet_intake.event_handlers import HANDLERS
from cabinet_intake.evidence import EvidenceStore, LocalEvidenceStore
from cabinet_intake.settings import IntakeSettings


def create_app(settings: IntakeSettings, evidence: EvidenceStore | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.evidence_dir.mkdir(parents=True, exist_ok=True)
        async with service_runtime(settings, "cabinet-intake", HANDLERS) as runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(title="Cabinet intake", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.evidence = evidence or LocalEvidenceStore(settings.evidence_dir)

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> JSONResponse:
        return error.response()

    install_token_verifier(app, settings.auth_trusted_keys_dir)
    app.include_router(health_router)
    app.include_router(router)
    return app


def main() -> None:
    settings = IntakeSettings()
    serve(create_app(settings), settings, "intake")
