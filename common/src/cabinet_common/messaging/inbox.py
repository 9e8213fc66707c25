"""The consumer side of exactly-once effects: one ``processed_events`` row per consumer and
event id, written in the same transaction as the event's effect."""

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, UtcDateTime


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Indexed for pruning (cabinet_common.messaging.retention).
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


async def processed_among(
    session: AsyncSession, consumer: str, event_ids: Iterable[str]
) -> set[str]:
    ids = list(set(event_ids))
    if not ids:
        return set()
    found = await session.scalars(
        select(ProcessedEvent.event_id).where(
            ProcessedEvent.consumer == consumer, ProcessedEvent.event_id.in_(ids)
        )
    )
    return set(found)


def mark_processed(session: AsyncSession, consumer: str, event_id: str) -> None:
    # A second replica recording the same event at the same moment fails on the primary key
    # (IntegrityError, transient): its retry finds the event processed and skips it.
    session.add(
        ProcessedEvent(consumer=consumer, event_id=event_id, processed_at=datetime.now(UTC))
    )
