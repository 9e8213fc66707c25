"""Kafka clients configured the way every Cabinet process needs them."""

import contextlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from cabinet_common.events import Event, Topic, to_kafka
from cabinet_common.observability.metrics import EVENTS_PUBLISHED
from cabinet_common.settings import CommonSettings

# Which dead letters an operator has re-driven (key: the dead letter's topic/partition/offset).
# Compacted, so it keeps one record per re-driven dead letter for as long as the DLQs do.
REDRIVES_TOPIC = "dead-letter.redriven.v1"


def create_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    # Idempotent: a retried send after a lost ack is written once.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )


async def started_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    """A producer that has reached Kafka; a fresh one per attempt, since one whose start
    failed cannot be started again."""
    producer = create_producer(settings, client_id)
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer


def create_consumer(settings: CommonSettings, group_id: str) -> AIOKafkaConsumer:
    """Subscribed by EventConsumer.subscribe, with its rebalance listener."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=100,
    )


async def publish(producer: AIOKafkaProducer, event: Event) -> None:
    record = to_kafka(event)
    await producer.send_and_wait(
        event.topic, value=record.value, key=record.key, headers=record.headers
    )
    EVENTS_PUBLISHED.labels(topic=event.topic.value).inc()


def dead_letter_topics() -> list[str]:
    return [topic.dead_letter for topic in Topic]


def _topic_configs(settings: CommonSettings) -> dict[str, dict[str, str]]:
    """Every topic Cabinet creates, with the configs it sets on it."""
    kept = {"retention.ms": str(settings.kafka_dead_letter_retention_ms)}
    configs: dict[str, dict[str, str]] = {topic.value: {} for topic in Topic}
    configs.update(dict.fromkeys(dead_letter_topics(), kept))
    configs[REDRIVES_TOPIC] = {**kept, "cleanup.policy": "compact"}
    return configs


async def ensure_topics(settings: CommonSettings) -> None:
    """Create every event topic, its dead-letter sibling and the re-drive log, and set the
    dead letters' retention (also on topics that already exist, so a changed setting or a
    topic the broker auto-created with its default retention is put right)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        configs = _topic_configs(settings)
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=settings.kafka_partitions,
                replication_factor=1,
                topic_configs=config,
            )
            for name, config in configs.items()
            if name not in existing
        ]
        if missing:
            # Another process may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        to_alter = [
            ConfigResource(ConfigResourceType.TOPIC, name, configs=config)
            for name, config in configs.items()
            if config and name in existing
        ]
        responses = await admin.alter_configs(to_alter) if to_alter else []
        refused = [
            f"{name}: {message or code}"
            for response in responses
            for code, message, _, name in response.resources
            if code
        ]
        if refused:
            raise RuntimeError(f"Kafka refused topic configs: {'; '.join(refused)}")
    finally:
        await admin.close()
