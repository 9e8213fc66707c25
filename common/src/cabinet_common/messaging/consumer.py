"""Idempotent Kafka consumer.

Partitions are worked concurrently, one task per partition with records in hand; while a task
runs its partition is paused, so Kafka hands out nothing more from it and per-key order (a
key always maps to one partition) is kept. The poll loop never waits for the work, so a slow
batch never exceeds ``max_poll_interval_ms`` (aiokafka#848). A batch's offset is committed
after its effects; a commit refused after a rebalance is harmless, because the new owner
skips what was done through ``processed_events``.

A failure is either poison (dead-lettered to ``<topic>.dlq`` with the reason) or transient
(retried with capped, jittered backoff for as long as it takes, with the partition held and
reported in health); see failures.py.

Two kinds of handler:
- ``Handler``: the effect is in this service's database. It runs in one transaction with the
  event's ``processed_events`` row; a batch of them shares one transaction.
- ``CallThenRecord``: the effect is a call to Temporal (or another peer). No transaction is
  open during the call: ``prepare`` reads, ``call`` runs, then ``record`` writes with the
  ``processed_events`` row. A crash between the call and that commit repeats the call on
  redelivery, so the call must be idempotent (deterministic workflow ids, signals the
  workflow deduplicates)."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeAlias, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.database import Sessions
from cabinet_common.events import Event, InvalidEvent, Topic, check_origin, from_kafka
from cabinet_common.messaging.consumer_telemetry import ConsumerTelemetry
from cabinet_common.messaging.failures import (
    DEFAULT_BACKOFF,
    Backoff,
    PartitionWaits,
    PermanentError,
    is_dependency_outage,
    is_poison,
)
from cabinet_common.messaging.inbox import mark_processed, processed_among

__all__ = ["AnyHandler", "CallThenRecord", "EventConsumer", "Handler", "PermanentError"]

log = structlog.get_logger(__name__)

T = TypeVar("T")
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Handler = Callable[[AsyncSession, Event], Awaitable[None]]


async def _record_nothing(_session: AsyncSession, _prepared: object) -> None:
    return None


@dataclass(frozen=True)
class CallThenRecord(Generic[T]):
    """An event whose effect is an idempotent call outside the database."""

    prepare: Callable[[AsyncSession, Event], Awaitable[T]]
    call: Callable[[T], Awaitable[None]]
    record: Callable[[AsyncSession, T], Awaitable[None]] = _record_nothing


AnyHandler = Handler | CallThenRecord[Any]


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        consumer: AIOKafkaConsumer,
        dead_letter_producer: AIOKafkaProducer,
        sessions: Sessions,
        handlers: Mapping[Topic, AnyHandler],
        backoff: Backoff = DEFAULT_BACKOFF,
        max_calls_in_flight: int = 32,
        revoke_grace_s: float = 5.0,
        commit_timeout_s: float = 30.0,
    ) -> None:
        self._name = name
        self._consumer = consumer
        self._dead_letters = dead_letter_producer
        self._sessions = sessions
        self._handlers = {topic.value: handler for topic, handler in handlers.items()}
        self._backoff = backoff
        self._calls = asyncio.Semaphore(max_calls_in_flight)
        self._revoke_grace_s = revoke_grace_s
        self._commit_timeout_s = commit_timeout_s
        self._workers: dict[TopicPartition, asyncio.Task[None]] = {}
        self._crashed: BaseException | None = None
        self.waits = PartitionWaits()
        self.telemetry = ConsumerTelemetry(name)

    def subscribe(self) -> None:
        self._consumer.subscribe(topics=list(self._handlers), listener=_Rebalance(self))

    async def run(self) -> None:
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500)
                if self._crashed is not None:
                    raise self._crashed
                for partition, records in batches.items():
                    if records:
                        self._start_worker(partition, records)
        finally:
            # Stopping (or dying): what is half done is redone by the next owner.
            workers = list(self._workers.values())
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _start_worker(self, partition: TopicPartition, records: list[Record]) -> None:
        self._consumer.pause(partition)
        task = asyncio.create_task(self._work(partition, records))
        self._workers[partition] = task
        task.add_done_callback(self._worker_done)

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            # Only a defect in this module gets here (handlers' errors are all caught).
            self._crashed = task.exception()

    async def _work(self, partition: TopicPartition, records: list[Record]) -> None:
        try:
            await self.process_batch(partition, records)
            await self._commit(partition, records[-1].offset + 1)
        finally:
            self.waits.cleared(str(partition))
            if self._workers.get(partition) is asyncio.current_task():
                del self._workers[partition]
            # Not assigned any more after a rebalance: nothing to resume.
            with contextlib.suppress(IllegalStateError):
                self._consumer.resume(partition)

    async def process_batch(self, partition: TopicPartition, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        try:
            await self._process_batch(partition, records)
        finally:
            self.telemetry.batch_took(partition, len(records), time.perf_counter() - started)

    async def _process_batch(self, partition: TopicPartition, records: Sequence[Record]) -> None:
        events: dict[str, tuple[Record, Event]] = {}
        for record in records:
            try:
                event = from_kafka(record.key, record.value, list(record.headers))
                check_origin(record.topic, event)
            except InvalidEvent as error:
                await self._dead_letter(partition, record, f"invalid event: {error}")
                continue
            events.setdefault(event.id, (record, event))  # a repeat in the same batch
        done: set[str] = set()

        async def read_done() -> None:
            nonlocal done
            async with self._sessions() as session:
                done = await processed_among(session, self._name, events)

        await self._until_done(partition, read_done)
        todo = [pair for event_id, pair in events.items() if event_id not in done]
        self.telemetry.done(partition, "duplicate", len(events) - len(todo))
        if not todo:
            return
        handler = self._handlers[partition.topic]
        if isinstance(handler, CallThenRecord):
            lanes: dict[str, list[tuple[Record, Event]]] = {}
            for record, event in todo:
                lanes.setdefault(event.key, []).append((record, event))
            await asyncio.gather(*(self._lane(partition, handler, lane) for lane in lanes.values()))
        elif len(todo) > 1 and await self._apply_together(handler, [e for _, e in todo]):
            self.telemetry.done(partition, "processed", len(todo))
        else:
            for record, event in todo:
                await self.handle(partition, record, partial(self._apply, handler, event))

    async def _lane(
        self,
        partition: TopicPartition,
        handler: CallThenRecord[Any],
        lane: list[tuple[Record, Event]],
    ) -> None:
        """One key's events, in order (different keys run at the same time)."""
        for record, event in lane:
            await self.handle(partition, record, partial(self._call_then_record, handler, event))

    async def handle(
        self, partition: TopicPartition, record: Record, step: Callable[[], Awaitable[None]]
    ) -> None:
        """One record's processing, retried until it is done or found to be poison."""
        try:
            await self._until_done(partition, step)
        except Exception as error:  # _until_done lets only poison through
            await self._dead_letter(partition, record, f"rejected: {error}")
            return
        self.telemetry.done(partition, "processed")

    async def _until_done(
        self, partition: TopicPartition, step: Callable[[], Awaitable[None]]
    ) -> None:
        attempt = 0
        while True:
            try:
                await step()
                return
            except Exception as error:
                if is_poison(error):
                    raise
                attempt += 1
                self.telemetry.retried(partition)
                waiting = self.waits.failed(str(partition), error)
                delay = self._backoff.delay(attempt)
                fields = {
                    "partition": str(partition),
                    "attempt": attempt,
                    "waiting_since": waiting.since.isoformat(),
                    "retry_in_s": round(delay, 2),
                    "error": repr(error),
                }
                if is_dependency_outage(error):
                    log.warning("dependency unavailable: partition paused, retrying", **fields)
                else:
                    log.error(
                        "unexpected error: partition paused, retrying", exc_info=error, **fields
                    )
                await asyncio.sleep(delay)

    async def _apply_together(self, handler: Handler, events: list[Event]) -> bool:
        """Database-only effects of a whole batch in one transaction; False (and nothing
        written) if any of them fails, so the caller goes one by one and finds the culprit."""
        try:
            async with self._sessions.begin() as session:
                done = await processed_among(session, self._name, (e.id for e in events))
                for event in events:
                    if event.id not in done:
                        with self.telemetry.span(event):
                            await handler(session, event)
                        mark_processed(session, self._name, event.id)
        except Exception as error:
            log.info("batch failed; one event at a time", events=len(events), error=repr(error))
            return False
        return True

    async def _apply(self, handler: Handler, event: Event) -> None:
        async with self._sessions.begin() as session:
            if await processed_among(session, self._name, [event.id]):
                return
            with self.telemetry.span(event):
                await handler(session, event)
            mark_processed(session, self._name, event.id)

    async def _call_then_record(self, handler: CallThenRecord[Any], event: Event) -> None:
        with self.telemetry.span(event):
            await self._call_then_record_traced(handler, event)

    async def _call_then_record_traced(self, handler: CallThenRecord[Any], event: Event) -> None:
        async with self._sessions() as session:
            prepared = await handler.prepare(session, event)
        # The session is closed: no transaction (nor SQLite's write lock) is held over the call.
        async with self._calls:
            await handler.call(prepared)
        async with self._sessions.begin() as session:
            # Another replica may have done the same (idempotent) call and recorded it first.
            if await processed_among(session, self._name, [event.id]):
                return
            await handler.record(session, prepared)
            mark_processed(session, self._name, event.id)

    async def _dead_letter(self, partition: TopicPartition, record: Record, reason: str) -> None:
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

        async def send() -> None:
            await self._dead_letters.send_and_wait(
                Topic(record.topic).dead_letter, value=record.value, key=record.key, headers=headers
            )

        # Kafka being away while a dead letter is sent is transient like any other outage.
        await self._until_done(partition, send)
        self.telemetry.dead_lettered(record, reason)

    async def _commit(self, partition: TopicPartition, offset: int) -> None:
        try:
            await asyncio.wait_for(
                self._consumer.commit({partition: offset}), timeout=self._commit_timeout_s
            )
        except (KafkaError, TimeoutError) as error:
            # After a rebalance the partition may belong to another member (or Kafka is away):
            # whoever reads these records again skips them through processed_events.
            log.warning("offset commit failed", partition=str(partition), error=repr(error))

    async def stop_workers(self, partitions: Sequence[TopicPartition]) -> None:
        """Let the partitions' batches finish for a moment, then cancel what is left (a
        cancelled batch commits nothing; the next owner redoes it idempotently)."""
        tasks = [self._workers[p] for p in partitions if p in self._workers]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._revoke_grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: EventConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._consumer.stop_workers(list(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", partitions=sorted(str(tp) for tp in assigned))
