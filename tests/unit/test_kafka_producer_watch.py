"""An idempotent producer whose sender aiokafka has ended for good is noticed: after a
restarted broker lost its last writes (OutOfOrderSequenceNumber, seen in `make chaos`
after kill -9 of Kafka) every later send fails, so the supervised watch ends the process
and it restarts with a new producer. A producer stopped on purpose ends nothing."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber

from cabinet_common import supervision
from cabinet_common.messaging.kafka import create_producer, watch_producer
from cabinet_common.settings import CommonSettings


@pytest.fixture
def stops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    stopped: list[str] = []
    monkeypatch.setattr(supervision, "stop_process", lambda: stopped.append("stopped"))
    monkeypatch.setattr(supervision, "dead_loops", [])
    return stopped


@pytest.fixture
async def producer() -> AsyncIterator[AIOKafkaProducer]:
    producer = create_producer(CommonSettings(kafka_bootstrap_servers="kafka:9092"), "test")
    yield producer
    await producer.stop()


def _with_sender(producer: AIOKafkaProducer, sender: "asyncio.Task[None]") -> AIOKafkaProducer:
    # What AIOKafkaProducer.start() leaves: its sender running as a task.
    producer._sender._sender_task = sender
    return producer


async def test_a_sender_ended_for_good_stops_the_process(
    producer: AIOKafkaProducer, stops: list[str]
) -> None:
    async def sender() -> None:
        await asyncio.sleep(0)
        raise OutOfOrderSequenceNumber()

    _with_sender(producer, asyncio.create_task(sender()))
    with pytest.raises(OutOfOrderSequenceNumber):
        await watch_producer(producer)

    await supervision.supervised("Kafka producer", lambda: watch_producer(producer))
    assert stops == ["stopped"]
    assert supervision.dead_loops == ["Kafka producer"]
    assert supervision.exit_status() == 1


async def test_a_producer_stopped_on_purpose_stops_nothing(
    producer: AIOKafkaProducer, stops: list[str]
) -> None:
    sender = asyncio.create_task(asyncio.sleep(3600))
    _with_sender(producer, sender)
    watching = supervision.supervised("Kafka producer", lambda: watch_producer(producer))
    await asyncio.sleep(0)
    sender.cancel()  # what AIOKafkaProducer.stop() does to its sender
    with pytest.raises(asyncio.CancelledError):
        await watching
    assert stops == []
    assert supervision.exit_status() == 0


async def test_stopping_the_watch_leaves_the_sender_running(
    producer: AIOKafkaProducer, stops: list[str]
) -> None:
    """Messaging.stop() cancels the watch before it stops the producer. aiokafka's sender
    returns normally when cancelled, so a watch that awaited the sender task itself would
    cancel it with the watch and then report it as having ended: the process stopped itself
    (and pytest, in the tests that run Messaging in-process) on every clean shutdown."""

    async def sender() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)

    sending = asyncio.create_task(sender())
    _with_sender(producer, sending)
    watching = supervision.supervised("Kafka producer", lambda: watch_producer(producer))
    await asyncio.sleep(0)
    watching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watching
    assert not sending.done()
    assert stops == []
    sending.cancel()
    await sending
