"""Starts and stops one service's Kafka side: producer, outbox relay, event consumer and the
pruning of old outbox and processed-event rows. Each runs supervised: one that dies ends
the process (see cabinet_common.supervision)."""

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import structlog

from cabinet_common.database import Sessions
from cabinet_common.events import Topic
from cabinet_common.messaging.consumer import AnyHandler, EventConsumer
from cabinet_common.messaging.kafka import (
    create_consumer,
    create_producer,
    ensure_topics,
    watch_producer,
)
from cabinet_common.messaging.metrics import refresh_lag, refresh_outbox
from cabinet_common.messaging.outbox_relay import OutboxRelay, relay_name
from cabinet_common.messaging.retention import Retention
from cabinet_common.settings import CommonSettings
from cabinet_common.supervision import keep_trying, supervised

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
        self.connecting_since: datetime | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._producer_started = False
        self._consumer_started = False

    async def start(self) -> None:
        """Returns at once: Kafka is reached in the background, retried for as long as it
        is away, so the service starts and serves what needs only its database meanwhile."""
        self.connecting_since = datetime.now(UTC)
        self._connecting = supervised("connecting to Kafka", self._connect, returns=True)

    async def _connect(self) -> None:
        await keep_trying("Kafka", lambda: ensure_topics(self._settings))
        # Kafka has just answered; if it is gone again, the process is restarted.
        await self.producer.start()
        self._producer_started = True
        self._tasks.append(supervised("Kafka producer", lambda: watch_producer(self.producer)))
        self._tasks.append(supervised("outbox relay", self.relay.run))
        retention = Retention(
            self._sessions,
            keep=timedelta(days=self._settings.messaging_retention_days),
            every=timedelta(minutes=10),
        )
        self._tasks.append(supervised("retention", retention.run))
        if self._consumer is not None:
            self.events = EventConsumer(
                name=self._group_id,
                consumer=self._consumer,
                dead_letter_producer=self.producer,
                sessions=self._sessions,
                handlers=self._handlers,
            )
            await self._consumer.start()
            self._consumer_started = True
            # Subscribed after the start, so starting does not wait for the group to settle
            # (with replicas joining, that takes a rebalance or two); getmany joins it.
            self.events.subscribe()
            self._tasks.append(supervised("consumer", self.events.run))
        self.connecting_since = None

    async def stop(self) -> None:
        tasks = [t for t in (self._connecting, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None and self._consumer_started:
            await self._consumer.stop()
        if self._producer_started:
            await self.producer.stop()

    async def refresh_metrics(self) -> None:
        await refresh_outbox(self._sessions)
        if self._consumer is not None and self._consumer_started:
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
        if self.connecting_since is not None:
            waits.append({"kafka": "connecting", "since": self.connecting_since.isoformat()})
        if self.relay.waiting_since is not None:
            waits.append(
                {"outbox_relay": "retrying", "since": self.relay.waiting_since.isoformat()}
            )
        return waits
