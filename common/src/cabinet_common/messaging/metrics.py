"""Gauges of a service's Kafka side, computed when /metrics is scraped: the outbox's
waiting rows and the age of the oldest, and the consumer group's lag per partition."""

from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from cabinet_common.database import Sessions
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.observability.metrics import CONSUMER_LAG, OUTBOX_OLDEST_AGE, OUTBOX_WAITING


async def refresh_outbox(sessions: Sessions) -> None:
    async with sessions() as session:
        waiting, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.published_at.is_(None)
                )
            )
        ).one()
    OUTBOX_WAITING.set(waiting)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite returns the aggregate naive
    OUTBOX_OLDEST_AGE.set(0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds())


async def refresh_lag(consumer: AIOKafkaConsumer, group: str) -> None:
    """End of each assigned partition minus the group's committed offset. A partition
    whose end is not known yet (nothing fetched since it was assigned) is left out."""
    CONSUMER_LAG.clear()
    for partition in consumer.assignment():
        end = consumer.highwater(partition)
        if end is None:
            continue
        committed = await consumer.committed(partition) or 0
        CONSUMER_LAG.labels(
            group=group, topic=partition.topic, partition=str(partition.partition)
        ).set(max(end - committed, 0))
