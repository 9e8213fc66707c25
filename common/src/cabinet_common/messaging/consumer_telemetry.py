"""What a consumer group reports about its records: a span per event continuing the trace
the event carries (so what its handler does joins that trace), and the per-partition
metrics (records done by outcome, retries, time per record, dead letters)."""

from collections.abc import Iterator
from contextlib import contextmanager

from aiokafka import ConsumerRecord, TopicPartition
from opentelemetry.trace import SpanKind

from cabinet_common.events import Event
from cabinet_common.observability.metrics import (
    CONSUMER_RECORD_DURATION,
    CONSUMER_RECORDS,
    CONSUMER_RETRIES,
    CONSUMER_WAITING_PARTITIONS,
    DEAD_LETTERED,
)
from cabinet_common.observability.tracing import continued_span


class ConsumerTelemetry:
    def __init__(self, group: str) -> None:
        self._group = group

    @contextmanager
    def span(self, event: Event) -> Iterator[None]:
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.destination.name": event.topic.value,
            "messaging.consumer.group.name": self._group,
            "messaging.message.id": event.id,
            "cloudevents.event_type": event.type,
        }
        name = f"process {event.topic.value}"
        with continued_span(name, event.trace or {}, SpanKind.CONSUMER, attributes):
            yield

    def done(self, partition: TopicPartition, outcome: str, count: int = 1) -> None:
        if count:
            CONSUMER_RECORDS.labels(*self._labels(partition), outcome).inc(count)

    def batch_took(self, partition: TopicPartition, records: int, seconds: float) -> None:
        """A batch's time shared among its records (a batch may commit in one transaction)."""
        histogram = CONSUMER_RECORD_DURATION.labels(*self._labels(partition))
        for _ in range(records):
            histogram.observe(seconds / records)

    def retried(self, partition: TopicPartition) -> None:
        CONSUMER_RETRIES.labels(*self._labels(partition)).inc()

    def dead_lettered(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        """`reason` is the dead letter's reason; its first word (invalid, rejected) is the
        bounded label."""
        kind = reason.split(maxsplit=1)[0].rstrip(":")
        DEAD_LETTERED.labels(self._group, record.topic, kind).inc()
        self.done(TopicPartition(record.topic, record.partition), "dead_lettered")

    def waiting_partitions(self, count: int) -> None:
        CONSUMER_WAITING_PARTITIONS.labels(self._group).set(count)

    def _labels(self, partition: TopicPartition) -> tuple[str, str, str]:
        return self._group, partition.topic, str(partition.partition)
