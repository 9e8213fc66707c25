"""Starts and stops one service's Kafka side: producer, outbox relay and event consumer."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import structlog

from cabinet_common.database import Sessions
from cabinet_common.events import Topic
from cabinet_common.messaging.consumer import EventConsumer, Handler
from cabinet_common.messaging.kafka import create_consumer, create_producer, ensure_topics
from cabinet_common.messaging.outbox import OutboxRelay
from cabinet_common.settings import CommonSettings

log = structlog.get_logger(__name__)


class Messaging:
    def __init__(
        self,
        settings: CommonSettings,
        sessions: Sessions,
        group_id: str,
        handlers: Mapping[Topic, Handler],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._group_id = group_id
        self._handlers = handlers
        self._tasks: list[asyncio.Task[None]] = []
        self.producer = create_producer(settings, client_id=group_id)
        self._consumer = (
            create_consumer(settings, group_id, [topic.value for topic in handlers])
            if handlers
            else None
        )

    async def start(self) -> None:
        await ensure_topics(self._settings)
        await self.producer.start()
        relay = OutboxRelay(self._sessions, self.producer)
        self._tasks.append(asyncio.create_task(self._supervise("outbox relay", relay.run)))
        if self._consumer is not None:
            await self._consumer.start()
            consumer = EventConsumer(
                name=self._group_id,
                consumer=self._consumer,
                dead_letter_producer=self.producer,
                sessions=self._sessions,
                handlers=self._handlers,
            )
            self._tasks.append(asyncio.create_task(self._supervise("consumer", consumer.run)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.stop()
        await self.producer.stop()

    @property
    def healthy(self) -> bool:
        return all(not task.done() for task in self._tasks)

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
