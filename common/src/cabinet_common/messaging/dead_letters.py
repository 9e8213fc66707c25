"""Dead letters an operator can see and re-drive. A dead letter is the original record
(key, value, headers) plus the ``dlq_*`` headers the consumer added. Re-driving sends the
original record back to its topic with its original headers, so its ``ce_id`` is the same
and every consumer that already applied it drops it; the re-drive is then noted on
``REDRIVES_TOPIC`` so the dead letter no longer counts as waiting."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from cabinet_common.messaging.kafka import (
    REDRIVES_TOPIC,
    client_options,
    create_admin,
    dead_letter_topics,
)
from cabinet_common.settings import CommonSettings

DLQ_SUFFIX = ".dlq"
# On a notice of an outbox row Kafka refused for good (its value is not the event, which
# was never sent): the row's id. Such a notice cannot be re-driven.
SET_ASIDE_HEADER = "dlq_set_aside"


class NotRedrivable(ValueError):
    """A notice of an outbox row set aside: there is no event to send again."""


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    dead_lettered_at: datetime
    redriven_at: datetime | None = None

    @property
    def ref(self) -> str:
        """How an operator names one dead letter: ``topic/partition/offset``."""
        return f"{self.topic}/{self.partition}/{self.offset}"

    @property
    def original_topic(self) -> str:
        return self.topic.removesuffix(DLQ_SUFFIX)

    def _header(self, name: str) -> str:
        value = dict(self.headers).get(name)
        return value.decode(errors="replace") if value is not None else ""

    @property
    def reason(self) -> str:
        return self._header("dlq_reason")

    @property
    def consumer(self) -> str:
        return self._header("dlq_consumer")

    @property
    def event_id(self) -> str:
        return self._header("ce_id")

    @property
    def event_type(self) -> str:
        return self._header("ce_type")

    @property
    def set_aside(self) -> bool:
        return SET_ASIDE_HEADER in dict(self.headers)

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value) for name, value in self.headers if not name.startswith("dlq_")]

    def age(self, now: datetime) -> float:
        return (now - self.dead_lettered_at).total_seconds()


def parse_ref(ref: str) -> tuple[str, int, int]:
    """``form.submitted.v1.dlq/2/17`` -> (topic, partition, offset)."""
    topic, partition, offset = ref.rsplit("/", 2)
    if not topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{ref!r} is not on a dead-letter topic")
    return topic, int(partition), int(offset)


async def _partitions(settings: CommonSettings, topics: list[str]) -> list[TopicPartition]:
    admin = create_admin(settings)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


async def read_all(
    settings: CommonSettings, topics: list[str]
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topics right now, from the beginning (no consumer group)."""
    partitions = await _partitions(settings, topics)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        **client_options(settings), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for partition, batch in (await consumer.getmany(timeout_ms=500)).items():
                records.extend(r for r in batch if r.offset < end[partition])
        return records
    finally:
        await consumer.stop()


async def read_dead_letters(
    settings: CommonSettings, topics: list[str] | None = None
) -> list[DeadLetter]:
    """Every dead letter on the given DLQ topics (all of Cabinet's by default), oldest
    first, each marked with when it was re-driven, if it was."""
    topics = topics or dead_letter_topics()
    records = await read_all(settings, [*topics, REDRIVES_TOPIC])
    redriven = {
        record.key.decode(): _time_of(record)
        for record in records
        if record.topic == REDRIVES_TOPIC and record.key is not None
    }
    letters = [
        DeadLetter(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=list(record.headers),
            dead_lettered_at=_time_of(record),
        )
        for record in records
        if record.topic != REDRIVES_TOPIC
    ]
    letters = [replace(letter, redriven_at=redriven.get(letter.ref)) for letter in letters]
    return sorted(letters, key=lambda letter: letter.dead_lettered_at)


def _time_of(record: ConsumerRecord[bytes, bytes]) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


async def redrive(settings: CommonSettings, letters: list[DeadLetter]) -> list[DeadLetter]:
    """Send each dead letter back to its topic as it was first sent, then note it re-driven.
    Returns the ones re-driven. NotRedrivable, before anything is sent, for a notice of
    an outbox row set aside."""
    set_aside = [letter.ref for letter in letters if letter.set_aside]
    if set_aside:
        raise NotRedrivable(
            f"set aside by an outbox, never sent, so not re-drivable: {', '.join(set_aside)}"
        )
    producer = AIOKafkaProducer(
        **client_options(settings),
        enable_idempotence=True,
        acks="all",
        client_id="cabinet-dlq",
    )
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(
                letter.original_topic,
                key=letter.key,
                value=letter.value,
                headers=letter.original_headers,
            )
            await producer.send_and_wait(
                REDRIVES_TOPIC,
                key=letter.ref.encode(),
                value=datetime.now(UTC).isoformat().encode(),
            )
    finally:
        await producer.stop()
    return letters


def waiting(letters: list[DeadLetter]) -> list[DeadLetter]:
    """The dead letters nobody has re-driven yet."""
    return [letter for letter in letters if letter.redriven_at is None]


def find(letters: list[DeadLetter], ref: str) -> DeadLetter | None:
    topic, partition, offset = parse_ref(ref)
    return next(
        (
            letter
            for letter in letters
            if (letter.topic, letter.partition, letter.offset) == (topic, partition, offset)
        ),
        None,
    )
