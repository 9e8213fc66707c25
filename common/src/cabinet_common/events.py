"""Cabinet's events on Kafka: which protobuf message travels on which topic, and the
CloudEvents binary-mode envelope (``ce_*`` headers, ``content-type``, key = obligation id,
and the trace context as ``traceparent``/``tracestate`` headers)."""

import builtins
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from cabinet.formtypes.v1 import events_pb2 as formtypes
from cabinet.obligations.v1 import events_pb2 as obligations
from cabinet.receipts.v1 import events_pb2 as receipts
from cabinet.submissions.v1 import events_pb2 as submissions
from cabinet_common.observability.tracing import TRACE_HEADERS, current_trace_headers

CONTENT_TYPE = "application/protobuf"
# ce_dataschema names the protobuf message the payload is (as proto/ declares it), so a
# consumer, a dead-letter reader or another team's tool knows which schema reads it.
DATASCHEMA_PREFIX = "urn:cabinet:proto:"

M = TypeVar("M", bound=Message)


class Topic(StrEnum):
    OBLIGATION_OPENED = "obligation.opened.v1"
    FORM_SUBMITTED = "form.submitted.v1"
    RECEIPTS_CHECKED = "receipts.checked.v1"
    SUBMISSION_RETURNED = "submission.returned.v1"
    ACKNOWLEDGEMENT_ISSUED = "acknowledgement.issued.v1"
    OBLIGATION_STATUS_CHANGED = "obligation.status-changed.v1"
    REMINDER_DUE = "reminder.due.v1"
    QUARTER_CLOSED = "quarter.closed.v1"
    FORM_TYPE_PUBLISHED = "form-type.published.v1"

    @property
    def dead_letter(self) -> str:
        return f"{self.value}.dlq"


TOPIC_OF_MESSAGE: dict[type[Message], Topic] = {
    obligations.ObligationOpened: Topic.OBLIGATION_OPENED,
    submissions.FormSubmitted: Topic.FORM_SUBMITTED,
    receipts.ReceiptsChecked: Topic.RECEIPTS_CHECKED,
    obligations.SubmissionReturned: Topic.SUBMISSION_RETURNED,
    obligations.AcknowledgementIssued: Topic.ACKNOWLEDGEMENT_ISSUED,
    obligations.ObligationStatusChanged: Topic.OBLIGATION_STATUS_CHANGED,
    obligations.ReminderDue: Topic.REMINDER_DUE,
    obligations.QuarterClosed: Topic.QUARTER_CLOSED,
    formtypes.FormTypePublished: Topic.FORM_TYPE_PUBLISHED,
}
# Who may write each topic: the one deployable that produces it. Kafka's ACLs
# (cabinet_devstack.kafka, deploy/README.md) let only that deployable's principal write it,
# and every consumer refuses (to the dead-letter topic) an event on it whose ce_source is
# not that deployable's.
TOPIC_OWNER: dict[Topic, str] = {
    Topic.OBLIGATION_OPENED: "cycles",
    Topic.FORM_SUBMITTED: "intake",
    Topic.RECEIPTS_CHECKED: "receipts",
    Topic.SUBMISSION_RETURNED: "worker",
    Topic.ACKNOWLEDGEMENT_ISSUED: "worker",
    Topic.OBLIGATION_STATUS_CHANGED: "worker",
    Topic.REMINDER_DUE: "worker",
    Topic.QUARTER_CLOSED: "cycles",
    Topic.FORM_TYPE_PUBLISHED: "cycles",
}
# The ce_source each deployable writes on its events.
SOURCE_OF: dict[str, str] = {
    "intake": "/cabinet/intake",
    "receipts": "/cabinet/receipts",
    "cycles": "/cabinet/cycles",
    "worker": "/cabinet/workflows/obligation",
}
# What each deployable's event consumer reads (its group is cabinet-<deployable>).
CONSUMED_BY: dict[str, frozenset[Topic]] = {
    "intake": frozenset(
        {
            Topic.FORM_TYPE_PUBLISHED,
            Topic.OBLIGATION_OPENED,
            Topic.ACKNOWLEDGEMENT_ISSUED,
            Topic.SUBMISSION_RETURNED,
            Topic.OBLIGATION_STATUS_CHANGED,
            Topic.RECEIPTS_CHECKED,
        }
    ),
    "receipts": frozenset({Topic.FORM_SUBMITTED, Topic.FORM_TYPE_PUBLISHED}),
    "cycles": frozenset(
        {
            Topic.FORM_SUBMITTED,
            Topic.RECEIPTS_CHECKED,
            Topic.OBLIGATION_STATUS_CHANGED,
            Topic.ACKNOWLEDGEMENT_ISSUED,
        }
    ),
    "worker": frozenset(),
}


def owner_source(topic: Topic) -> str:
    """The ce_source of the only deployable that writes topic."""
    return SOURCE_OF[TOPIC_OWNER[topic]]


# The CloudEvents type of each message is its protobuf full name.
MESSAGE_OF_TYPE: dict[str, type[Message]] = {m.DESCRIPTOR.full_name: m for m in TOPIC_OF_MESSAGE}


def dataschema_of(message_type: str) -> str:
    """The ce_dataschema of an event whose payload is message_type (a message's full name)."""
    return f"{DATASCHEMA_PREFIX}{message_type}"


def timestamp(at: datetime) -> Timestamp:
    """A protobuf Timestamp for an aware datetime."""
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


class InvalidEvent(ValueError):
    """A Kafka record that is not a Cabinet CloudEvent; it belongs in the dead-letter topic."""


@dataclass(frozen=True)
class Event:
    payload: Message
    key: str
    source: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    # W3C trace context (traceparent, tracestate) of the trace this event belongs to. None
    # on a new event: it joins the trace current when it is encoded for Kafka.
    trace: Mapping[str, str] | None = None

    @property
    def type(self) -> str:
        return self.payload.DESCRIPTOR.full_name

    @property
    def dataschema(self) -> str:
        return dataschema_of(self.type)

    @property
    def topic(self) -> Topic:
        return TOPIC_OF_MESSAGE[type(self.payload)]

    def payload_as(self, message_class: builtins.type[M]) -> M:
        if not isinstance(self.payload, message_class):
            raise InvalidEvent(f"expected {message_class.DESCRIPTOR.full_name}, got {self.type}")
        return self.payload


@dataclass(frozen=True)
class KafkaRecord:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        """Bytes of key, value and headers: what counts against Kafka's record size limit."""
        return (
            len(self.key)
            + len(self.value)
            + sum(len(name) + len(value) for name, value in self.headers)
        )


def to_kafka(event: Event) -> KafkaRecord:
    cloud_event = CloudEvent(
        attributes={
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "time": event.time,
            "datacontenttype": CONTENT_TYPE,
            "dataschema": event.dataschema,
            "partitionkey": event.key,
        },
        data=event.payload.SerializeToString(),
    )
    message = ce_kafka.to_binary(cloud_event, JSONFormat())
    headers = [(k, v) for k, v in message.headers.items() if k != "ce_partitionkey"]
    trace = current_trace_headers() if event.trace is None else event.trace
    headers += [(name, trace[name].encode()) for name in TRACE_HEADERS if name in trace]
    return KafkaRecord(key=event.key.encode(), value=message.value, headers=headers)


REQUIRED_HEADERS = frozenset(
    {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "content-type"}
)


def from_kafka(key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> Event:
    # The CloudEvents decoder fills a missing id or time with a fresh one; an event without
    # its own id could never be de-duplicated, so it is refused here.
    present = dict(headers)
    absent = sorted(REQUIRED_HEADERS - present.keys())
    if absent:
        raise InvalidEvent(f"missing headers: {', '.join(absent)}")
    if present["ce_specversion"] != b"1.0":
        raise InvalidEvent(f"unsupported CloudEvents specversion {present['ce_specversion']!r}")
    try:
        cloud_event = ce_kafka.from_binary(
            ce_kafka.KafkaMessage(headers=present, key=key, value=value or b""),
            JSONFormat(),
        )
        attributes = cloud_event.get_attributes()
        message_class = MESSAGE_OF_TYPE[attributes["type"]]
        if attributes.get("datacontenttype") != CONTENT_TYPE:
            raise InvalidEvent(f"content-type must be {CONTENT_TYPE}")
        # Optional (producers before it was added sent none), but never another message's.
        schema = attributes.get("dataschema")
        if schema is not None and schema != dataschema_of(attributes["type"]):
            raise InvalidEvent(f"ce_dataschema {schema} does not name {attributes['type']}")
        payload = message_class.FromString(value or b"")
        if key is None:
            raise InvalidEvent("record has no key")
        return Event(
            payload=payload,
            key=key.decode(),
            source=attributes["source"],
            id=attributes["id"],
            time=attributes["time"],
            trace={name: present[name].decode() for name in TRACE_HEADERS if name in present},
        )
    except InvalidEvent:
        raise
    except KeyError as missing:
        raise InvalidEvent(f"unknown event type or missing attribute: {missing}") from missing
    except Exception as error:  # whatever a malformed record makes the decoders raise
        raise InvalidEvent(f"{type(error).__name__}: {error}") from error


def check_origin(topic: str, event: Event) -> None:
    """Refuse an event that its topic's owner did not write: a ce_source other than the
    owner's, or a message type that belongs on another topic."""
    expected = Topic(topic)
    if event.topic is not expected:
        raise InvalidEvent(f"{event.type} does not belong on {topic}")
    source = owner_source(expected)
    if event.source != source:
        raise InvalidEvent(
            f"ce_source {event.source!r} is not {topic}'s owner ({TOPIC_OWNER[expected]},"
            f" {source!r})"
        )
