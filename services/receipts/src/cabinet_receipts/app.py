from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cabinet_common.auth.api import install_token_verifier
from cabinet_common.service import create_service_app, serve, service_runtime
from cabinet_receipts.api import router
from cabinet_receipts.event_handlers import HANDLERS
from cabinet_receipts.settings import ReceiptsSettings


def create_app(settings: ReceiptsSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, "cabinet-receipts", HANDLERS) as runtime:
            app.state.runtime = runtime
            yield

    app = create_service_app("Cabinet receipts", lifespan)

    install_token_verifier(app, settings.auth_trusted_keys_dir)
    app.include_router(router)
    return app


def main() -> None:
    settings = ReceiptsSettings()
    serve(create_app(settings), settings, "receipts")
