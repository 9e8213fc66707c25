"""Kafka clients configured the way every Cabinet process needs them."""

import contextlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from cabinet_common.events import Event, Topic, to_kafka
from cabinet_common.settings import CommonSettings

PARTITIONS = 3


def create_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    # Idempotent: a retried send after a lost ack is written once.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


def create_consumer(settings: CommonSettings, group_id: str, topics: list[str]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=50,
    )


async def publish(producer: AIOKafkaProducer, event: Event) -> None:
    record = to_kafka(event)
    await producer.send_and_wait(
        event.topic, value=record.value, key=record.key, headers=record.headers
    )


async def ensure_topics(settings: CommonSettings) -> None:
    """Create every event topic and its dead-letter sibling; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = [name for topic in Topic for name in (topic.value, topic.dead_letter)]
        missing = [
            NewTopic(name=name, num_partitions=PARTITIONS, replication_factor=1)
            for name in names
            if name not in existing
        ]
        if missing:
            # Another process may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
