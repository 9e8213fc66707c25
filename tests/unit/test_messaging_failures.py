"""Which failures dead-letter an event (poison) and which make it wait (transient); the
backoff between waits; and the pruning of old outbox and processed-event rows."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError, RequestTimedOutError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from temporalio.service import RPCError, RPCStatusCode

from cabinet_common.database import create_engine, session_factory
from cabinet_common.events import InvalidEvent
from cabinet_common.messaging.failures import (
    Backoff,
    PermanentError,
    is_dependency_outage,
    is_poison,
)
from cabinet_common.messaging.inbox import ProcessedEvent
from cabinet_common.messaging.outbox import OutboxMessage
from cabinet_common.messaging.retention import Retention
from cabinet_common.migrations import migrate_engine
from cabinet_common.temporal import refusal_is_permanent
from cabinet_intake.migrations import SCHEMA


def _db_error(kind: type[DataError | IntegrityError | OperationalError]) -> Exception:
    return kind("INSERT ...", {}, Exception("from the driver"))


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("unknown obligation"),
        InvalidEvent("missing headers: ce_id"),
        _db_error(DataError),
    ],
)
def test_poison(error: Exception) -> None:
    assert is_poison(error)


@pytest.mark.parametrize(
    "error",
    [
        RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""),
        RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""),
        _db_error(OperationalError),
        _db_error(IntegrityError),  # two replicas recording one event: the retry skips it
        KafkaConnectionError("broker away"),
        RequestTimedOutError(),
        ConnectionRefusedError("peer away"),
        KeyError("a defect: retried and logged, never dead-lettered"),
    ],
)
def test_transient(error: Exception) -> None:
    assert not is_poison(error)


def test_outages_are_told_apart_from_unexpected_errors() -> None:
    assert is_dependency_outage(RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""))
    assert is_dependency_outage(_db_error(OperationalError))
    assert is_dependency_outage(KafkaConnectionError())
    assert not is_dependency_outage(KeyError("x"))


def test_a_request_temporal_refuses_is_permanent_and_an_outage_is_not() -> None:
    with pytest.raises(PermanentError), refusal_is_permanent():
        raise RPCError("blob size exceeds limit", RPCStatusCode.INVALID_ARGUMENT, b"")
    with pytest.raises(RPCError), refusal_is_permanent():
        raise RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b"")


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    backoff = Backoff(first_s=0.2, cap_s=30)
    assert 0.1 <= backoff.delay(1) <= 0.2
    assert 0.4 <= backoff.delay(3) <= 0.8
    assert all(15 <= backoff.delay(attempt) <= 30 for attempt in (9, 50, 10_000))
    assert len({backoff.delay(20) for _ in range(20)}) > 1


async def test_pruning_deletes_only_what_is_done_and_older_than_the_retention(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'prune.db'}")
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=8), now - timedelta(days=6)

    def row(event_id: str, published_at: datetime | None) -> OutboxMessage:
        return OutboxMessage(
            event_id=event_id,
            topic="t",
            key=b"k",
            value=b"v",
            headers=[],
            created_at=old,
            published_at=published_at,
        )

    async with sessions.begin() as session:
        session.add_all([row("old-sent", old), row("recent-sent", recent), row("old-unsent", None)])
        session.add_all(
            [
                ProcessedEvent(consumer="c", event_id="old", processed_at=old),
                ProcessedEvent(consumer="c", event_id="recent", processed_at=recent),
            ]
        )
    retention = Retention(sessions, keep=timedelta(days=7), every=timedelta(minutes=10))
    assert await retention.prune(now) == (1, 1)
    async with sessions() as session:
        assert set(await session.scalars(select(OutboxMessage.event_id))) == {
            "recent-sent",
            "old-unsent",
        }
        assert set(await session.scalars(select(ProcessedEvent.event_id))) == {"recent"}
    await engine.dispose()
