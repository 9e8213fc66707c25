"""Published outbox rows and processed-event rows are kept for a retention period, then
deleted, so neither table grows for ever. The retention bounds de-duplication: keep it at
least as long as Kafka keeps records (7 days by default on both)."""

import asyncio
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import CursorResult, delete

from cabinet_common.database import Sessions
from cabinet_common.messaging.inbox import ProcessedEvent
from cabinet_common.messaging.outbox import OutboxMessage

log = structlog.get_logger(__name__)


class Retention:
    def __init__(self, sessions: Sessions, keep: timedelta, every: timedelta) -> None:
        self._sessions = sessions
        self._keep = keep
        self._every = every

    async def run(self) -> None:
        while True:
            try:
                outbox, processed = await self.prune()
                if outbox or processed:
                    log.info("pruned old rows", outbox=outbox, processed_events=processed)
            except Exception as error:  # the database is away: next time
                log.warning("pruning failed", error=repr(error))
            await asyncio.sleep(self._every.total_seconds())

    async def prune(self, now: datetime | None = None) -> tuple[int, int]:
        """Delete what is older than the retention; the numbers of outbox and processed rows."""
        cutoff = (now or datetime.now(UTC)) - self._keep
        async with self._sessions.begin() as session:
            outbox = await session.execute(
                delete(OutboxMessage).where(OutboxMessage.published_at < cutoff)
            )
            processed = await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.processed_at < cutoff)
            )
        return _count(outbox), _count(processed)


def _count(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
