"""Kafka clients configured the way every Cabinet process needs them."""

import asyncio
import contextlib
import ssl
from typing import Any

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


class KafkaCredentialsError(RuntimeError):
    """SASL is configured without a username or password."""


def client_options(settings: CommonSettings) -> dict[str, Any]:
    """What every Kafka client of Cabinet (producers, consumers, admin clients, the tools)
    connects with: the bootstrap servers and, under SASL, the deployable's principal."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "PLAINTEXT":
        return options
    password = (
        settings.kafka_password_file.read_text().strip()
        if settings.kafka_password_file is not None
        else settings.kafka_password.get_secret_value()
        if settings.kafka_password is not None
        else None
    )
    if not settings.kafka_username or not password:
        raise KafkaCredentialsError(
            f"CABINET_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs"
            " CABINET_KAFKA_USERNAME and CABINET_KAFKA_PASSWORD_FILE (or CABINET_KAFKA_PASSWORD)"
        )
    options |= {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": password,
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        cafile = str(settings.kafka_ca_file) if settings.kafka_ca_file else None
        options["ssl_context"] = ssl.create_default_context(cafile=cafile)
    return options


def create_admin(settings: CommonSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**client_options(settings))


def create_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    # Idempotent: a retried send after a lost ack is written once.
    return AIOKafkaProducer(
        **client_options(settings),
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


async def watch_producer(producer: AIOKafkaProducer) -> None:
    """Wait on the producer's sender, which aiokafka ends for good on an error it cannot
    recover from (OutOfOrderSequenceNumber when a restarted broker has lost the idempotent
    producer's last writes; ProducerFenced); every send after that fails the same way.
    Raises that error: run it supervised, so the process restarts with a new producer.

    Waits without awaiting the task itself: cancelling a task that awaits another cancels
    that one too, and aiokafka's sender returns normally when cancelled, so stopping the
    watch would stop the producer and look like the sender ending."""
    sender = producer._sender.sender_task
    await asyncio.wait([sender])
    sender.result()


def create_consumer(settings: CommonSettings, group_id: str) -> AIOKafkaConsumer:
    """Subscribed by EventConsumer.subscribe, with its rebalance listener."""
    return AIOKafkaConsumer(
        **client_options(settings),
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


async def ensure_topics(settings: CommonSettings, *, create: bool | None = None) -> None:
    """Create every event topic, its dead-letter sibling and the re-drive log, and set the
    dead letters' retention (also on topics that already exist, so a changed setting or a
    topic the broker auto-created with its default retention is put right).

    A client that authenticates (SASL) is a deployable whose ACLs allow no topic
    administration: the topics are the administrator's (the devstack's admin principal,
    Strimzi's KafkaTopics), so it only checks that Kafka answers and accepts it, unless
    create says otherwise."""
    if create is None:
        create = settings.kafka_security_protocol == "PLAINTEXT"
    admin = create_admin(settings)
    await admin.start()
    try:
        if not create:
            await admin.list_topics()
            return
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
