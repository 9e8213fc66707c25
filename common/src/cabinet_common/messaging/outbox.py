"""Transactional outbox: an event is stored in the same transaction as the change it
announces, and a relay publishes it afterwards. Publishing is at-least-once; consumers
drop repeats by event id."""

import asyncio
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import JSON, Integer, LargeBinary, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, Sessions, UtcDateTime
from cabinet_common.events import Event, to_kafka

log = structlog.get_logger(__name__)


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[list[list[str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


def add_to_outbox(session: AsyncSession, event: Event) -> None:
    record = to_kafka(event)
    session.add(
        OutboxMessage(
            event_id=event.id,
            topic=event.topic.value,
            key=record.key,
            value=record.value,
            headers=[[name, value.decode()] for name, value in record.headers],
            created_at=datetime.now(UTC),
        )
    )


class OutboxRelay:
    """Publishes unpublished outbox rows in the order they were written."""

    def __init__(
        self,
        sessions: Sessions,
        producer: AIOKafkaProducer,
        batch_size: int = 200,
        idle_wait_s: float = 0.1,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._batch_size = batch_size
        self._idle_wait_s = idle_wait_s

    async def run(self) -> None:
        while True:
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if published == 0:
                await asyncio.sleep(self._idle_wait_s)

    async def publish_pending(self) -> int:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self._batch_size)
                )
            ).all()
        if not rows:
            return 0
        sends = [
            await self._producer.send(
                row.topic,
                value=row.value,
                key=row.key,
                headers=[(name, value.encode()) for name, value in row.headers],
            )
            for row in rows
        ]
        await asyncio.gather(*sends)
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        return len(rows)
