"""Transactional outbox: an event is stored in the same transaction as the change it
announces, and a relay (outbox_relay.py) publishes it afterwards. Publishing is
at-least-once; consumers drop repeats by event id."""

from datetime import UTC, datetime

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, UtcDateTime
from cabinet_common.events import Event, to_kafka


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
    # The relay replica publishing the row, and until when it may (outbox_relay.py).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when Kafka refused the row for good (over its size limit, say): kept but never
    # sent again, so the rows after it flow; a notice of it is on the topic's dead-letter
    # sibling, where operators see it (cabinet-dlq, the web's dead-letter page).
    set_aside_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    set_aside_reason: Mapped[str | None] = mapped_column(String(500))


# Set on a session that wrote outbox rows; the relay in this process is woken when it commits.
WRITTEN = "cabinet_outbox_written"


def add_to_outbox(session: AsyncSession, event: Event) -> None:
    session.info[WRITTEN] = True
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
