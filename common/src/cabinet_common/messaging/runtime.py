"""Starts and stops one service's Kafka side: producer, outbox relay, event consumer and the
pruning of old outbox and processed-event rows."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import structlog

from cabinet_common.database import Sessions
from cabinet_common.events import Topic
from cabinet_common.messaging.consumer import AnyHandler, EventConsumer
from cabinet_common.messaging.kafka import create_consumer, create_producer, ensure_topics
from cabinet_common.messaging.metrics import refresh_lag, refresh_outbox
from cabinet_common.messaging.outbox_relay import OutboxRelay, relay_name
from cabinet_common.messaging.retention import Retention
from cabinet_common.settings import CommonSettings

log = structlog.get_logger(__name__)


class Messaging:
    def __init__(
        self,
        settings: CommonSettings,
        sessions: Sessions,
        group_id: str,
        handlers: Mapping[Topic, AnyHandler],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._group_id = group_id
        self._handlers = handlers
        self._tasks: list[asyncio.Task[None]] = []
        self.producer = create_producer(settings, client_id=group_id)
        self._consumer = create_consumer(settings, group_id) if handlers else None
        self.relay = OutboxRelay(sessions, self.producer, relay_name(group_id))
        self.events: EventConsumer | None = None

    async def start(self) -> None:
        await ensure_topics(self._settings)
        await self.producer.start()
        self._tasks.append(asyncio.create_task(self._supervise("outbox relay", self.relay.run)))
        retention = Retention(
            self._sessions,
            keep=timedelta(days=self._settings.messaging_retention_days),
            every=timedelta(minutes=10),
        )
        self._tasks.append(asyncio.create_task(self._supervise("retention", retention.run)))
        if self._consumer is not None:
            self.events = EventConsumer(
                name=self._group_id,
                consumer=self._consumer,
                dead_letter_producer=self.producer,
                sessions=self._sessions,
                handlers=self._handlers,
            )
            await self._consumer.start()
            # Subscribed after the start, so starting does not wait for the group to settle
            # (with replicas joining, that takes a rebalance or two); getmany joins it.
            self.events.subscribe()
            self._tasks.append(asyncio.create_task(self._supervise("consumer", self.events.run)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.stop()
        await self.producer.stop()

    async def refresh_metrics(self) -> None:
        await refresh_outbox(self._sessions)
        if self._consumer is not None:
            await refresh_lag(self._consumer, self._group_id)
        if self.events is not None:
            self.events.telemetry.waiting_partitions(len(self.events.waits.by_partition))

    @property
    def healthy(self) -> bool:
        return all(not task.done() for task in self._tasks)

    @property
    def waiting(self) -> list[dict[str, object]]:
        """What this service is retrying because a dependency is away (empty when nothing
        is): partitions held back by their consumer, and the outbox relay."""
        waits = self.events.waits.report() if self.events is not None else []
        if self.relay.waiting_since is not None:
            waits.append(
                {"outbox_relay": "retrying", "since": self.relay.waiting_since.isoformat()}
            )
        return waits

    @staticmethod
    async def _supervise(name: str, loop: Callable[[], Awaitable[None]]) -> None:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            # A dead loop must not look alive: readiness turns false and the process restarts.
            log.exception("background loop stopped", loop=name)
            raise
