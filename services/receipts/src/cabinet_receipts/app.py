import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cabinet_common.auth.api import install_token_verifier
from cabinet_common.bounded import BoundedPool, Limits
from cabinet_common.evidence import EvidenceStore, LocalEvidenceStore
from cabinet_common.service import create_service_app, service_main, service_runtime
from cabinet_common.supervision import supervised
from cabinet_receipts.api import router
from cabinet_receipts.event_handlers import HANDLERS
from cabinet_receipts.migrations import SCHEMA
from cabinet_receipts.reader import ReceiptReader
from cabinet_receipts.reading_api import router as reading_router
from cabinet_receipts.settings import ReceiptsSettings


def reading_pool(settings: ReceiptsSettings) -> BoundedPool:
    limits = Limits(
        timeout_s=settings.reading_timeout_s,
        memory_bytes=settings.reading_memory_mb * 1024 * 1024,
        cpu_s=settings.reading_cpu_s,
    )
    return BoundedPool(settings.reading_workers, limits, preload=["cabinet_common.reading"])


def create_app(settings: ReceiptsSettings, evidence: EvidenceStore | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(settings, SCHEMA, "cabinet-receipts", HANDLERS) as runtime:
            app.state.runtime = runtime
            # One pool reads filed receipts and the files sent to pre-fill a line.
            app.state.reading_pool = pool = reading_pool(settings)
            reader = ReceiptReader(
                runtime.sessions, evidence or LocalEvidenceStore(settings.evidence_dir), pool
            )
            task = supervised("receipt reader", reader.run)
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = create_service_app("Cabinet receipts", lifespan, settings.max_request_bytes)

    install_token_verifier(app, settings.auth_trusted_keys_dir)
    app.include_router(router)
    app.include_router(reading_router)
    return app


def main() -> None:
    service_main(SCHEMA, ReceiptsSettings, create_app)
