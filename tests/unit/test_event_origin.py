"""Who may write each topic (cabinet_common.events.TOPIC_OWNER), and consumers refusing an
event its topic's owner did not write (issue 11): a forged acknowledgement on
acknowledgement.issued.v1 with another ce_source never reaches cycles' signer."""

import pytest

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2
from cabinet_common.events import (
    CONSUMED_BY,
    SOURCE_OF,
    TOPIC_OF_MESSAGE,
    TOPIC_OWNER,
    Event,
    InvalidEvent,
    Topic,
    check_origin,
    owner_source,
)
from cabinet_common.messaging.acls import OPERATOR, acls, principal_of
from cabinet_cycles import form_types as cycles_form_types
from cabinet_cycles import quarters as cycles_quarters
from cabinet_cycles.event_handlers import CyclesEventHandlers
from cabinet_intake import event_handlers as intake_handlers
from cabinet_intake import submissions as intake_submissions
from cabinet_receipts import event_handlers as receipts_handlers
from cabinet_workflows.obligation import activities as worker_activities


def acknowledgement(source: str) -> Event:
    payload = events_pb2.AcknowledgementIssued(
        obligation=types_pb2.ObligationRef(obligation_id="obligation-1")
    )
    return Event(payload=payload, key="obligation-1", source=source)


def test_every_topic_has_one_owner_among_the_deployables() -> None:
    assert set(TOPIC_OWNER) == set(Topic) == set(TOPIC_OF_MESSAGE.values())
    assert set(TOPIC_OWNER.values()) <= set(SOURCE_OF)
    assert set(CONSUMED_BY) == set(SOURCE_OF)


def test_each_deployable_writes_the_source_the_map_gives_it() -> None:
    assert SOURCE_OF["intake"] == intake_submissions.SOURCE
    assert SOURCE_OF["receipts"] == receipts_handlers.SOURCE
    assert cycles_quarters.SOURCE == cycles_form_types.SOURCE == SOURCE_OF["cycles"]
    assert SOURCE_OF["worker"] == worker_activities.SOURCE


def test_what_each_service_consumes_is_in_the_map() -> None:
    assert set(intake_handlers.HANDLERS) == CONSUMED_BY["intake"]
    assert set(receipts_handlers.HANDLERS) == CONSUMED_BY["receipts"]
    cycles = CyclesEventHandlers(client=None, task_queue="q")  # type: ignore[arg-type]
    assert set(cycles.by_topic()) == CONSUMED_BY["cycles"]


def test_the_owners_event_passes() -> None:
    check_origin(Topic.ACKNOWLEDGEMENT_ISSUED.value, acknowledgement(SOURCE_OF["worker"]))
    assert owner_source(Topic.ACKNOWLEDGEMENT_ISSUED) == "/cabinet/workflows/obligation"


@pytest.mark.parametrize("source", ["/cabinet/intake", "/cabinet/cycles", "/attacker", ""])
def test_an_acknowledgement_from_anyone_but_the_worker_is_refused(source: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        check_origin(Topic.ACKNOWLEDGEMENT_ISSUED.value, acknowledgement(source))
    assert str(refused.value) == (
        f"ce_source {source!r} is not acknowledgement.issued.v1's owner"
        " (worker, '/cabinet/workflows/obligation')"
    )


def test_a_message_on_another_topic_than_its_own_is_refused() -> None:
    with pytest.raises(InvalidEvent, match=r"does not belong on form\.submitted\.v1"):
        check_origin(Topic.FORM_SUBMITTED.value, acknowledgement(SOURCE_OF["worker"]))


def test_the_acls_let_only_the_owner_and_the_re_drivers_write_a_topic() -> None:
    granted = acls()
    for topic in Topic:
        writers = {a.principal for a in granted if a.name == topic.value and a.operation == "Write"}
        # The operators re-drive dead letters, from cabinet-dlq or cycles' pages.
        assert writers == {principal_of(TOPIC_OWNER[topic]), OPERATOR, "cabinet-cycles"}, topic
        readers = {a.principal for a in granted if a.name == topic.value and a.operation == "Read"}
        assert readers == {principal_of(d) for d, read in CONSUMED_BY.items() if topic in read}
    for deployable, topics in CONSUMED_BY.items():
        principal = principal_of(deployable)
        groups = {a.name for a in granted if a.principal == principal and a.resource == "group"}
        assert groups == ({principal} if topics else set())
    # The worker writes acknowledgements and reads nothing.
    assert {(a.name, a.operation) for a in granted if a.principal == "cabinet-worker"} == {
        (name, "Write")
        for topic, owner in TOPIC_OWNER.items()
        if owner == "worker"
        for name in (topic.value, topic.dead_letter)
    }
