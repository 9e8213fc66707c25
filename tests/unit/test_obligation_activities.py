"""The obligation workflow's real activities with a fake Kafka producer and mail folder:
event ids are derived from the obligation and what happened, so a retried activity
republishes the same event (consumers drop the repeat) and different happenings never
share an id."""

from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer

from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import Event, from_kafka
from cabinet_common.obligation_workflow import (
    Acknowledgement,
    ObligationStatus,
    ReasonModel,
    ReceiptOutcome,
)
from cabinet_common.reasons import to_model
from cabinet_workflows.obligation.activities import ObligationActivities
from cabinet_workflows.obligation.models import (
    AcknowledgementNotice,
    ReminderNotice,
    ReturnNotice,
    StatusChange,
    StatusChanges,
)
from tests.temporal_support import obligation_input

AT = datetime(2027, 4, 1, 9, tzinfo=UTC)


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = []

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append((topic, value, key, headers))

    def events(self) -> list[Event]:
        return [from_kafka(key, value, headers) for _, value, key, headers in self.sent]

    def event_ids(self) -> list[str]:
        return [event.id for event in self.events()]

    def acknowledgements(self) -> list[events_pb2.AcknowledgementIssued]:
        return [event.payload_as(events_pb2.AcknowledgementIssued) for event in self.events()]


class FakeMail:
    def __init__(self) -> None:
        self.sent: dict[str, EmailMessage] = {}

    async def send(self, message_id: str, message: EmailMessage) -> None:
        self.sent[message_id] = message


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def mail() -> FakeMail:
    return FakeMail()


@pytest.fixture
def activities(producer: FakeProducer, mail: FakeMail) -> ObligationActivities:
    return ObligationActivities(cast(AIOKafkaProducer, producer), mail)


def return_notice(*codes: str, version: int = 1) -> ReturnNotice:
    return ReturnNotice(
        obligation=obligation_input(date(2027, 4, 7)),
        submission_id="submission-1",
        version=version,
        reasons=[ReasonModel(code=code, message=code.lower()) for code in codes],
        returned_receipts=[],
        returned_at=AT,
    )


async def test_a_retried_reminder_is_the_same_event_and_the_same_message(
    activities: ObligationActivities, producer: FakeProducer, mail: FakeMail
) -> None:
    notice = ReminderNotice(
        obligation=obligation_input(date(2027, 4, 7)),
        due_date=date(2027, 4, 7),
        days_relative_to_due=-3,
        sent_at=AT,
    )
    await activities.send_reminder(notice)
    await activities.send_reminder(notice)

    first, second = producer.event_ids()
    assert first == second
    [message] = mail.sent.values()
    assert message["Subject"] == "Your 2027-Q1 return is due on 7 April 2027"
    assert message["X-Cabinet-Days-Relative-To-Due"] == "-3"


async def test_returns_of_different_versions_are_different_events(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    await activities.publish_return(return_notice("TOTAL_MISMATCH", version=1))
    await activities.publish_return(return_notice("TOTAL_MISMATCH", version=1))  # a retry
    await activities.publish_return(return_notice("TOTAL_MISMATCH", version=2))
    first, retry, second = producer.event_ids()
    assert first == retry != second


# BUG (reported): the event id of a return is f"return:{version}" only. When a caseworker
# returns a version the checks already returned (or returns it again with other reasons),
# the second SubmissionReturned carries the first one's id, and every idempotent consumer
# (processed_events) drops it as a repeat: the filer never hears the caseworker's reasons.
async def test_a_caseworker_return_of_an_already_returned_version_is_a_new_event(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    await activities.publish_return(return_notice("TOTAL_MISMATCH"))
    caseworker: Any = return_notice("MISSING_REQUIRED_RECEIPT")
    caseworker.returned_at = datetime(2027, 4, 20, 10, tzinfo=UTC)
    await activities.publish_return(caseworker)
    first, second = producer.event_ids()
    assert first != second


async def test_a_reason_code_unknown_to_the_contract_cannot_be_published(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    """Why the workflow must refuse such codes up front (see test_obligation_workflow.py)."""
    with pytest.raises(ValueError, match="MISSING_RECEIPT"):
        await activities.publish_return(return_notice("MISSING_RECEIPT"))
    assert producer.sent == []


async def test_a_return_tells_the_filer_which_question_each_reason_concerns(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    """ReturnNotice -> SubmissionReturned and StatusChange -> ObligationStatusChanged: each
    reason keeps its field_id (empty on the wire for a reason about no one question)."""
    total = ReasonModel(code="TOTAL_MISMATCH", message="Box 3 is wrong", field_id="box3")
    outside = ReasonModel(code="DATE_OUTSIDE_PERIOD", message="In Q2")
    notice = return_notice()
    notice.reasons = [total]
    notice.returned_receipts = [ReceiptOutcome(receipt_id="r1", accepted=False, reasons=[outside])]
    await activities.publish_return(notice)
    await activities.publish_status_changes(
        StatusChanges(
            obligation=notice.obligation,
            changes=[
                StatusChange(
                    sequence=3,
                    from_status=ObligationStatus.CHECKING,
                    to_status=ObligationStatus.RETURNED,
                    actor="system",
                    reason="Version 1 returned",
                    reasons=[total, outside],
                    submission_version=1,
                    changed_at=AT,
                )
            ],
        )
    )

    returned_event, changed_event = producer.events()
    returned = returned_event.payload_as(events_pb2.SubmissionReturned)
    assert [(r.message, r.field_id) for r in returned.reasons] == [("Box 3 is wrong", "box3")]
    assert [(r.message, r.field_id) for r in returned.returned_receipts[0].reasons] == [
        ("In Q2", "")
    ]
    assert [to_model(r) for r in returned.reasons] == [total]
    changed = changed_event.payload_as(events_pb2.ObligationStatusChanged)
    assert [to_model(r) for r in changed.reasons] == [total, outside]


def acknowledgement_notice(**how: Any) -> AcknowledgementNotice:
    return AcknowledgementNotice(
        obligation=obligation_input(date(2027, 4, 7)),
        acknowledgement=Acknowledgement(
            reference="123456789015",
            submission_id="submission-1",
            version=1,
            submission_sha256="ab" * 32,
            processed_at=AT,
            **how,
        ),
    )


async def test_the_acknowledgement_says_a_paper_return_was_keyed_in_and_by_whom(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    await activities.publish_acknowledgement(
        acknowledgement_notice(channel="paper", keyed_by="caseworker-1")
    )
    await activities.publish_acknowledgement(acknowledgement_notice())
    paper, online = producer.acknowledgements()
    assert (paper.channel, paper.keyed_by) == ("paper", "caseworker-1")
    assert (online.channel, online.keyed_by) == ("online", "")


async def test_a_decision_is_published_in_the_trace_of_the_filing_it_decided(
    activities: ObligationActivities, producer: FakeProducer
) -> None:
    filing = "00-0af7651916cd43dd8460a211a67f2b31-b7ad6b7169203331-01"
    traced = return_notice("TOTAL_MISMATCH")
    traced.trace_context = {"traceparent": filing}
    await activities.publish_return(traced)
    await activities.publish_return(return_notice("TOTAL_MISMATCH", version=2))
    in_trace, untraced = producer.events()
    assert in_trace.trace is not None
    assert in_trace.trace["traceparent"].split("-")[1] == "0af7651916cd43dd8460a211a67f2b31"
    assert untraced.trace == {}
