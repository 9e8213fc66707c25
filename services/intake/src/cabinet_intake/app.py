import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cabinet_common.auth.api import install_token_verifier
from cabinet_common.bounded import BoundedPool, Limits
from cabinet_common.evidence import EvidenceStore, LocalEvidenceStore
from cabinet_common.service import create_service_app, service_main, service_runtime
from cabinet_intake.api import router
from cabinet_intake.event_handlers import HANDLERS
from cabinet_intake.migrations import SCHEMA
from cabinet_intake.settings import IntakeSettings

# What the file-check children use, imported once by their forkserver.
FILE_CHECK_MODULES = [
    "cabinet_intake.file_checks",
    "pypdf",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "PIL.JpegImagePlugin",
]


def file_check_pool(settings: IntakeSettings) -> BoundedPool:
    """Where uploaded PDFs and images are opened: child processes, a few at once, each
    with memory, CPU and time limits (cabinet_common.bounded)."""
    limits = Limits(
        timeout_s=settings.file_check_timeout_s,
        memory_bytes=settings.file_check_memory_mb * 1024 * 1024,
        cpu_s=settings.file_check_cpu_s,
    )
    return BoundedPool(settings.file_check_workers, limits, preload=FILE_CHECK_MODULES)


def create_app(settings: IntakeSettings, evidence: EvidenceStore | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.evidence_dir.mkdir(parents=True, exist_ok=True)
        async with service_runtime(settings, SCHEMA, "cabinet-intake", HANDLERS) as runtime:
            app.state.runtime = runtime
            warming = asyncio.create_task(app.state.file_checks.warm())
            yield
            warming.cancel()

    app = create_service_app("Cabinet intake", lifespan, settings.max_request_bytes)

    install_token_verifier(app, settings.auth_trusted_keys_dir)
    app.state.settings = settings
    app.state.evidence = evidence or LocalEvidenceStore(settings.evidence_dir)
    app.state.file_checks = file_check_pool(settings)

    app.include_router(router)
    return app


def main() -> None:
    service_main(SCHEMA, IntakeSettings, create_app)
