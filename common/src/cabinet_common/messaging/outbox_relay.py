"""Publishes outbox rows to Kafka, in the order they were written, with any number of
replicas sharing one database: each row is claimed by one relay for a lease, published, then
marked published. No transaction is open while Kafka is called.

Claiming takes rows with ``FOR UPDATE SKIP LOCKED`` inside a transaction that also holds a
PostgreSQL advisory lock (SQLite's write lock does the same), so claims never interleave and
per-key order holds across replicas: a row is never claimed while an earlier row of its topic
and key is leased to someone else. A relay that dies leaves its lease to expire; the rows are
then claimed again (published twice at worst, which consumers deduplicate by event id).

A commit that wrote outbox rows in this process wakes its relay at once; rows written by
other replicas are found by polling (every `idle_wait_s`)."""

import asyncio
import contextlib
import os
import socket
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from sqlalchemy import event, exists, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from cabinet_common.database import Sessions
from cabinet_common.messaging.dead_letters import SET_ASIDE_HEADER
from cabinet_common.messaging.failures import DEFAULT_BACKOFF, Backoff
from cabinet_common.messaging.outbox import WRITTEN, OutboxMessage

log = structlog.get_logger(__name__)

# What Kafka refuses for good: the same row would be refused on every try.
REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
)
_CLAIM_LOCK = zlib.crc32(b"cabinet outbox claim")
_wakeups: set[asyncio.Event] = set()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop(WRITTEN, False):
        for wakeup in _wakeups:
            wakeup.set()


@event.listens_for(Session, "after_rollback")
def _nothing_written(session: Session) -> None:
    session.info.pop(WRITTEN, None)


def relay_name(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class OutboxRelay:
    def __init__(
        self,
        sessions: Sessions,
        producer: AIOKafkaProducer,
        name: str,
        batch_size: int = 500,
        idle_wait_s: float = 0.5,
        lease: timedelta = timedelta(seconds=60),
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self.name = name
        self._batch_size = batch_size
        self._idle_wait_s = idle_wait_s
        self._lease = lease
        self._backoff = backoff
        self.waiting_since: datetime | None = None
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        _wakeups.add(self._wakeup)
        try:
            await self._relay()
        finally:
            _wakeups.discard(self._wakeup)

    async def _relay(self) -> None:
        attempt = 0
        while True:
            self._wakeup.clear()  # before the claim: a commit meanwhile wakes the next wait
            try:
                published = await self.publish_pending()
            except Exception as error:
                attempt += 1
                self.waiting_since = self.waiting_since or datetime.now(UTC)
                log.warning("outbox relay failed; retrying", attempt=attempt, error=repr(error))
                await asyncio.sleep(self._backoff.delay(attempt))
                continue
            attempt, self.waiting_since = 0, None
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._idle_wait_s)

    async def publish_pending(self) -> int:
        """Claim, publish and mark one batch; the number published (or set aside)."""
        rows = await self.claim()
        if not rows:
            return 0
        failure: BaseException | None = None
        refused: list[tuple[OutboxMessage, BaseException]] = []
        deliveries: list[tuple[OutboxMessage, asyncio.Future[object]]] = []
        try:
            for row in rows:
                try:
                    delivery = await self._producer.send(
                        row.topic,
                        value=row.value,
                        key=row.key,
                        headers=[(name, value.encode()) for name, value in row.headers],
                    )
                except REFUSED_FOR_GOOD as error:
                    refused.append((row, error))
                    continue
                deliveries.append((row, delivery))
        except Exception as error:  # refused before sending: what was queued still goes
            failure = error
        results = await asyncio.gather(*(d for _, d in deliveries), return_exceptions=True)
        sent: list[int] = []
        for (row, _), result in zip(deliveries, results, strict=True):
            if isinstance(result, REFUSED_FOR_GOOD):
                refused.append((row, result))
            elif isinstance(result, BaseException):
                failure = failure or result
            else:
                sent.append(row.id)
        set_aside = await self._set_aside(refused)
        done = {*sent, *set_aside}
        await self._settle(sent, [row.id for row in rows if row.id not in done])
        if failure is not None:
            raise failure
        return len(done)

    async def _set_aside(self, refused: list[tuple[OutboxMessage, BaseException]]) -> list[int]:
        """Put a notice of each refused row on its topic's dead-letter sibling, then mark
        the row set aside, so the rows after it flow. A notice Kafka does not take now
        leaves its row to be tried again."""
        if not refused:
            return []
        notices = []
        for row, error in refused:
            reason = f"set aside by the outbox of {self.name}: {type(error).__name__}: {error}"
            log.error("outbox row refused for good; set aside", row=row.id, reason=reason)
            notices.append(
                await self._producer.send(
                    f"{row.topic}.dlq",
                    value=b"",
                    key=row.key,
                    headers=[
                        *((name, value.encode()) for name, value in row.headers),
                        ("dlq_reason", reason[:500].encode()),
                        ("dlq_consumer", f"outbox of {self.name}".encode()),
                        (SET_ASIDE_HEADER, str(row.id).encode()),
                    ],
                )
            )
        await asyncio.gather(*notices)
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            for row, error in refused:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(
                        set_aside_at=now,
                        set_aside_reason=f"{type(error).__name__}: {error}"[:500],
                        lease_owner=None,
                        lease_until=None,
                    )
                )
        return [row.id for row, _ in refused]

    async def claim(self) -> list[OutboxMessage]:
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            await _serialise_claims(session)
            earlier = aliased(OutboxMessage)
            free = or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
            held_back = exists().where(
                earlier.topic == OutboxMessage.topic,
                earlier.key == OutboxMessage.key,
                earlier.id < OutboxMessage.id,
                earlier.published_at.is_(None),
                earlier.lease_until > now,
            )
            rows = list(
                (
                    await session.scalars(
                        select(OutboxMessage)
                        .where(
                            OutboxMessage.published_at.is_(None),
                            OutboxMessage.set_aside_at.is_(None),
                            free,
                            ~held_back,
                        )
                        .order_by(OutboxMessage.id)
                        .limit(self._batch_size)
                        .with_for_update(skip_locked=True, of=OutboxMessage)
                    )
                ).all()
            )
            if rows:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([row.id for row in rows]))
                    .values(lease_owner=self.name, lease_until=now + self._lease)
                )
        return rows

    async def _settle(self, sent: list[int], unsent: list[int]) -> None:
        async with self._sessions.begin() as session:
            if sent:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(sent))
                    .values(published_at=datetime.now(UTC), lease_owner=None, lease_until=None)
                )
            if unsent:  # given back at once, so a later try (by any relay) keeps the order
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(unsent), OutboxMessage.lease_owner == self.name)
                    .values(lease_owner=None, lease_until=None)
                )


async def _serialise_claims(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
