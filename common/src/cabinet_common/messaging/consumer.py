"""Idempotent Kafka consumer: each event's effect and its ``processed_events`` row commit in
one transaction, then the offset is committed. A record that cannot be processed goes to
its topic's dead-letter sibling with the reason, and the consumer carries on."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cabinet_common.database import Base, Sessions, UtcDateTime
from cabinet_common.events import Event, InvalidEvent, Topic, from_kafka

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncSession, Event], Awaitable[None]]


class PermanentError(Exception):
    """The event can never be processed (it contradicts what this service knows)."""


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        consumer: AIOKafkaConsumer,
        dead_letter_producer: AIOKafkaProducer,
        sessions: Sessions,
        handlers: Mapping[Topic, Handler],
        max_attempts: int = 6,
        first_backoff_s: float = 0.5,
    ) -> None:
        self._name = name
        self._consumer = consumer
        self._dead_letters = dead_letter_producer
        self._sessions = sessions
        self._handlers = {topic.value: handler for topic, handler in handlers.items()}
        self._max_attempts = max_attempts
        self._first_backoff_s = first_backoff_s

    async def run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for partition, records in batches.items():
                for record in records:
                    await self._process(record)
                    await self._commit(partition, record.offset + 1)

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = from_kafka(record.key, record.value, list(record.headers))
        except InvalidEvent as error:
            await self._dead_letter(record, f"invalid event: {error}")
            return
        logger = log.bind(event_id=event.id, event_type=event.type, key=event.key)
        handler = self._handlers[record.topic]
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply_once(handler, event)
                return
            except (PermanentError, InvalidEvent) as error:
                await self._dead_letter(record, f"rejected: {error}")
                return
            except Exception as error:
                if attempt == self._max_attempts:
                    logger.exception("event failed on every attempt", attempts=attempt)
                    await self._dead_letter(record, f"failed {attempt} times: {error!r}")
                    return
                logger.warning("event failed; retrying", attempt=attempt, error=repr(error))
                await asyncio.sleep(self._first_backoff_s * 2 ** (attempt - 1))

    async def _apply_once(self, handler: Handler, event: Event) -> None:
        async with self._sessions.begin() as session:
            if await session.get(ProcessedEvent, (self._name, event.id)) is not None:
                return
            await handler(session, event)
            session.add(
                ProcessedEvent(
                    consumer=self._name, event_id=event.id, processed_at=datetime.now(UTC)
                )
            )

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.warning(
            "record sent to dead-letter topic",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )
        headers = [
            *record.headers,
            ("dlq_reason", reason.encode()),
            ("dlq_consumer", self._name.encode()),
            ("dlq_original", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self._dead_letters.send_and_wait(
            Topic(record.topic).dead_letter, value=record.value, key=record.key, headers=headers
        )

    async def _commit(self, partition: TopicPartition, offset: int) -> None:
        try:
            await self._consumer.commit({partition: offset})
        except CommitFailedError as error:
            # After a rebalance the partition may belong to another member, which will see
            # the record again and skip it through processed_events.
            log.warning("offset commit failed", partition=str(partition), error=str(error))
