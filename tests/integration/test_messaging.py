"""The outbox relay and the event consumer against a real Kafka broker (just the broker: no
services), on a database of the test's own (on CABINET_TEST_DB's backend): a dependency
that fails transiently is waited for and never dead-lettered, poison is, partitions and
keys run concurrently in per-key order with no transaction held over an external call, and
two relays on one database publish each row once, in per-key order."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet.submissions.v1 import events_pb2
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Event, Topic, owner_source, to_kafka
from cabinet_common.messaging.consumer import AnyHandler, CallThenRecord, PermanentError
from cabinet_common.messaging.kafka import create_producer, ensure_topics
from cabinet_common.messaging.outbox import OutboxMessage, add_to_outbox
from cabinet_common.messaging.outbox_relay import OutboxRelay
from cabinet_common.messaging.runtime import Messaging
from cabinet_common.migrations import migrate_engine
from cabinet_common.settings import CommonSettings
from cabinet_devstack import kafka
from cabinet_devstack.processes import stop_from_pid_file
from cabinet_devstack.stack import Stack, StackConfig
from cabinet_intake.migrations import SCHEMA
from tests.integration.conftest import TEST_DB
from tests.integration.helpers import eventually, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack = Stack(StackConfig.on_free_ports(tmp_path_factory.mktemp("kafka")))
    stack.start_kafka()
    try:
        # The topics are the admin's: the deployables' principals may not create them.
        settings = kafka.settings_for(stack.config.kafka_bootstrap)
        asyncio.run(ensure_topics(settings, create=True))
        yield stack.config.kafka_bootstrap
    finally:
        stop_from_pid_file(stack.pid_file("kafka"))


@pytest.fixture
async def sessions(new_database: Callable[[str], str]) -> AsyncIterator[Sessions]:
    """A database of the test's own on CABINET_TEST_DB's backend, with the shared tables
    (intake's schema has them all)."""
    engine = create_engine(new_database(TEST_DB))
    await migrate_engine(engine, SCHEMA)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def settings_for(bootstrap: str) -> CommonSettings:
    return kafka.settings_for(
        bootstrap, kafka_session_timeout_ms=6000, kafka_heartbeat_interval_ms=500
    )


@asynccontextmanager
async def messaging(
    bootstrap: str, sessions: Sessions, handlers: Mapping[Topic, AnyHandler]
) -> AsyncIterator[Messaging]:
    running = Messaging(settings_for(bootstrap), sessions, f"test-{uuid.uuid4().hex[:8]}", handlers)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def submitted(run: str, key: str, sequence: int) -> Event:
    """A FormSubmitted of this test run (consumers skip other runs' records on the topic)."""
    payload = events_pb2.FormSubmitted(
        obligation=types_pb2.ObligationRef(obligation_id=key),
        submission_id=run,
        version=sequence,
    )
    return Event(payload=payload, key=key, source=owner_source(Topic.FORM_SUBMITTED))


async def publish(sessions: Sessions, events: list[Event]) -> None:
    async with sessions.begin() as session:
        for event in events:
            add_to_outbox(session, event)


def of_run(run: str, event: Event) -> events_pb2.FormSubmitted | None:
    form = event.payload_as(events_pb2.FormSubmitted)
    return form if form.submission_id == run else None


async def dead_letters_of(bootstrap: str, key: str) -> list[dict[str, bytes]]:
    records = await read_topic(bootstrap, Topic.FORM_SUBMITTED.dead_letter)
    return [dict(r.headers) for r in records if r.key == key.encode()]


async def test_a_transient_failure_is_retried_until_it_passes_and_never_dead_lettered(
    bootstrap: str, sessions: Sessions
) -> None:
    run, key = uuid.uuid4().hex, f"key-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []
    seen_waiting: list[list[dict[str, object]]] = []

    async def flaky(session: AsyncSession, event: Event) -> None:
        if of_run(run, event) is None:
            return
        attempts.append(1)
        if len(attempts) == 3:
            seen_waiting.append(running.waiting)
        if len(attempts) <= 5:
            raise ConnectionRefusedError("the dependency is down")

    async with messaging(bootstrap, sessions, {Topic.FORM_SUBMITTED: flaky}) as running:
        await publish(sessions, [submitted(run, key, 1)])
        await eventually(lambda: _at_least(attempts, 6), what="the sixth attempt")
        await eventually(lambda: _nothing_waiting(running), what="the partition to stop waiting")

    assert len(attempts) == 6  # five failures, then done once, and never again
    [waits] = seen_waiting
    assert len(waits) == 1
    assert int(str(waits[0]["attempts"])) >= 1
    assert "ConnectionRefusedError" in str(waits[0]["error"])
    assert await dead_letters_of(bootstrap, key) == []


async def test_poison_is_dead_lettered_with_its_reason_and_the_key_carries_on(
    bootstrap: str, sessions: Sessions
) -> None:
    run, key = uuid.uuid4().hex, f"key-{uuid.uuid4().hex[:8]}"
    handled: list[int] = []

    async def refuses_the_first(session: AsyncSession, event: Event) -> None:
        form = of_run(run, event)
        if form is None:
            return
        if form.version == 1:
            raise PermanentError("version 1 contradicts what this service knows")
        handled.append(form.version)

    async with messaging(bootstrap, sessions, {Topic.FORM_SUBMITTED: refuses_the_first}):
        await publish(sessions, [submitted(run, key, 1), submitted(run, key, 2)])
        await eventually(lambda: _at_least(handled, 1), what="the event after the poison")

        async def letters_found() -> list[dict[str, bytes]] | None:
            return await dead_letters_of(bootstrap, key) or None

        letters = await eventually(letters_found, what="the dead letter")

    assert handled == [2]
    [letter] = letters
    assert letter["dlq_reason"] == b"rejected: version 1 contradicts what this service knows"


async def test_an_event_not_written_by_its_topics_owner_is_dead_lettered(
    bootstrap: str, sessions: Sessions
) -> None:
    """Only intake writes form.submitted.v1: one claiming to come from cycles is refused to
    the dead-letter topic with the reason, never handled, and the key carries on."""
    run, key = uuid.uuid4().hex, f"key-{uuid.uuid4().hex[:8]}"
    handled: list[int] = []

    async def handle(session: AsyncSession, event: Event) -> None:
        form = of_run(run, event)
        if form is not None:
            handled.append(form.version)

    forged = replace(submitted(run, key, 1), source=owner_source(Topic.QUARTER_CLOSED))
    async with messaging(bootstrap, sessions, {Topic.FORM_SUBMITTED: handle}):
        await publish(sessions, [forged, submitted(run, key, 2)])
        await eventually(lambda: _at_least(handled, 1), what="the owner's event")

        async def letters_found() -> list[dict[str, bytes]] | None:
            return await dead_letters_of(bootstrap, key) or None

        letters = await eventually(letters_found, what="the dead letter")

    assert handled == [2]
    [letter] = letters
    assert letter["ce_source"] == b"/cabinet/cycles"
    assert letter["dlq_reason"] == (
        b"invalid event: ce_source '/cabinet/cycles' is not form.submitted.v1's owner"
        b" (intake, '/cabinet/intake')"
    )


async def test_partitions_and_keys_run_concurrently_in_per_key_order_with_no_transaction_open(
    bootstrap: str, sessions: Sessions
) -> None:
    run = uuid.uuid4().hex
    keys = [f"key-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    events = [submitted(run, key, sequence) for sequence in range(1, 11) for key in keys]
    delivered: dict[str, list[int]] = defaultdict(list)
    in_call, most_in_call = 0, 0

    async def prepare(session: AsyncSession, event: Event) -> events_pb2.FormSubmitted | None:
        return of_run(run, event)

    async def call(form: events_pb2.FormSubmitted | None) -> None:
        nonlocal in_call, most_in_call
        if form is None:
            return
        in_call += 1
        most_in_call = max(most_in_call, in_call)
        # SQLite has one writer: this write would wait (and fail) if the consumer held a
        # transaction open across the call.
        async with sessions.begin() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS written (n INTEGER)"))
            await session.execute(text("INSERT INTO written VALUES (1)"))
        await asyncio.sleep(0.01)
        delivered[form.obligation.obligation_id].append(form.version)
        in_call -= 1

    async def record(session: AsyncSession, form: events_pb2.FormSubmitted | None) -> None:
        return None

    handler = CallThenRecord(prepare, call, record)
    async with messaging(bootstrap, sessions, {Topic.FORM_SUBMITTED: handler}):
        await publish(sessions, events)
        await eventually(
            lambda: _at_least([v for vs in delivered.values() for v in vs], len(events)),
            what="every event",
        )

    assert {key: delivered[key] for key in keys} == {key: list(range(1, 11)) for key in keys}
    assert most_in_call > 1


async def test_two_relays_on_one_database_publish_each_row_once_in_per_key_order(
    bootstrap: str, sessions: Sessions
) -> None:
    settings = settings_for(bootstrap)
    await ensure_topics(settings)
    run = uuid.uuid4().hex
    keys = [f"key-{i}-{uuid.uuid4().hex[:6]}" for i in range(10)]
    events = [submitted(run, key, sequence) for sequence in range(1, 31) for key in keys]
    await publish(sessions, events)
    producers = [create_producer(settings, f"relay-{n}") for n in (1, 2)]
    for producer in producers:
        await producer.start()
    relays = [
        OutboxRelay(sessions, producer, f"relay-{n}", batch_size=25)
        for n, producer in enumerate(producers)
    ]
    try:
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        await eventually(lambda: _all_published(sessions), what="every row published")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for producer in producers:
            await producer.stop()

    on_kafka: dict[str, list[int]] = defaultdict(list)
    for record in await read_topic(bootstrap, Topic.FORM_SUBMITTED):
        form = events_pb2.FormSubmitted.FromString(record.value)
        if form.submission_id == run:
            on_kafka[form.obligation.obligation_id].append(form.version)
    assert sum(len(v) for v in on_kafka.values()) == len(events)
    assert {key: on_kafka[key] for key in keys} == {key: list(range(1, 31)) for key in keys}


async def _at_least(items: list[int], count: int) -> bool | None:
    return True if len(items) >= count else None


async def _nothing_waiting(running: Messaging) -> bool | None:
    return True if not running.waiting else None


async def _all_published(sessions: Sessions) -> bool | None:
    async with sessions() as session:
        left = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.published_at.is_(None)).limit(1)
        )
    return True if left is None else None


@pytest.mark.parametrize("principal", ["cabinet-intake", "cabinet-receipts"])
async def test_the_broker_refuses_an_acknowledgement_from_anyone_but_the_worker(
    bootstrap: str, principal: str
) -> None:
    """acknowledgement.issued.v1 is the worker's: another deployable's principal writing it
    (cycles may re-drive dead letters to any topic; it holds the signing key anyway)
    (with a perfectly formed event claiming the worker as its source) is refused by Kafka's
    ACLs; the worker's principal writes it."""
    issued = obligations_pb2.AcknowledgementIssued(
        obligation=types_pb2.ObligationRef(obligation_id=f"forged-{uuid.uuid4().hex[:8]}")
    )
    record = to_kafka(
        Event(
            payload=issued,
            key=issued.obligation.obligation_id,
            source=owner_source(Topic.ACKNOWLEDGEMENT_ISSUED),
        )
    )

    async def send_as(name: str) -> None:
        producer = AIOKafkaProducer(**kafka.options_for(bootstrap, name), request_timeout_ms=10_000)
        await producer.start()
        try:
            await producer.send_and_wait(
                Topic.ACKNOWLEDGEMENT_ISSUED,
                key=record.key,
                value=record.value,
                headers=record.headers,
            )
        finally:
            await producer.stop()

    with pytest.raises(TopicAuthorizationFailedError):
        await send_as(principal)
    await send_as("cabinet-worker")
