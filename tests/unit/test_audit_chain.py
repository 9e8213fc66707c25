"""The audit hash chain: record hashes, links, and appending to the chain in the database."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import ValidationError

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.events import Event
from cabinet_common.migrations import migrate_engine
from cabinet_cycles.audit import events, store
from cabinet_cycles.audit.chain import (
    AuditEntry,
    AuditRecord,
    AuditScope,
    ChainHead,
    canonical_json,
    next_record,
    record_hash,
)
from cabinet_cycles.migrations import SCHEMA
from tests.postgres_support import BACKENDS
from tests.unit.audit_samples import SCOPE, SEALED_AT, SIGNER, chain, entry

OTHER_SCOPE = AuditScope(department_id="demo", form_type_id="vat-return", period_key="2027-Q1")


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_utf8() -> None:
    assert canonical_json({"b": [1, {"d": "é", "c": None}], "a": True}) == (
        '{"a":true,"b":[1,{"c":null,"d":"é"}]}'.encode()
    )


def test_the_genesis_hash_is_fixed_per_scope() -> None:
    same = AuditScope(department_id="demo", form_type_id="vat-return", period_key="2026-Q4")
    assert SCOPE.genesis_hash == same.genesis_hash
    assert SCOPE.genesis_hash != OTHER_SCOPE.genesis_hash
    # Pinned: a change here would make every pack sealed before it fail to verify.
    assert (
        SCOPE.genesis_hash
        == hashlib.sha256(
            b"cabinet-audit-genesis\n"
            b'{"department_id":"demo","form_type_id":"vat-return","period_key":"2026-Q4"}'
        ).hexdigest()
    )


def test_each_record_links_to_the_one_before_from_the_genesis_hash() -> None:
    records = chain(4)
    assert [r.sequence for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == SCOPE.genesis_hash
    for previous, record in pairwise(records):
        assert record.prev_hash == previous.hash
    assert all(r.scope == SCOPE for r in records)


def test_the_hash_covers_every_other_field() -> None:
    record = chain(1)[0]
    assert set(record.content()) == set(AuditRecord.model_fields) - {"hash"}
    assert record.hash == hashlib.sha256(canonical_json(record.content())).hexdigest()
    for field, value in record.content().items():
        changed = {**record.content(), field: "something else" if value != "something else" else 1}
        assert record_hash(changed) != record.hash, field


def test_a_record_reads_back_from_json_with_the_same_hash() -> None:
    record = chain(3)[2]
    again = AuditRecord.model_validate_json(canonical_json(record.model_dump(mode="json")))
    assert again == record
    assert record_hash(again.content()) == record.hash


def test_times_are_kept_in_utc_and_naive_times_are_refused() -> None:
    paris = timezone(timedelta(hours=1))
    with pytest.raises(ValidationError, match="timezone-aware"):
        AuditEntry.model_validate({**entry(1).model_dump(), "recorded_at": datetime(2026, 10, 1)})
    from_paris = AuditEntry.model_validate(
        {**entry(1).model_dump(), "recorded_at": datetime(2026, 10, 1, 10, 0, tzinfo=paris)}
    )
    assert from_paris.recorded_at == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    record = next_record(ChainHead.genesis(SCOPE), from_paris)
    assert record.content()["recorded_at"] == "2026-10-01T09:00:00Z"


@pytest.fixture
async def sessions() -> AsyncIterator[Sessions]:
    engine = create_engine("sqlite+aiosqlite://")
    await migrate_engine(engine, SCHEMA)
    yield session_factory(engine)
    await engine.dispose()


async def test_append_builds_the_chain_across_transactions(sessions: Sessions) -> None:
    for number in (1, 2, 3):
        async with sessions.begin() as session:
            appended = await store.append(session, SCOPE, entry(number))
            assert appended is not None
            assert appended.sequence == number
    async with sessions() as session:
        assert await store.records(session, SCOPE) == chain(3)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_first_appends_at_once_to_a_new_chain_all_land_in_turn(
    backend: str, new_database: Callable[[str], str]
) -> None:
    # Consumers of several partitions record a new quarter's first events at once; none
    # may fail on creating the chain (each failure was a retry and an error in the log).
    engine = create_engine(new_database(backend))
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)

    async def append(number: int) -> AuditRecord | None:
        async with sessions.begin() as session:
            return await store.append(session, SCOPE, entry(number))

    try:
        appended = await asyncio.gather(*(append(n) for n in range(1, 6)))
        assert sorted(r.sequence for r in appended if r is not None) == [1, 2, 3, 4, 5]
        async with sessions() as session:
            kept = await store.records(session, SCOPE)
        assert [r.sequence for r in kept] == [1, 2, 3, 4, 5]
        assert all(b.prev_hash == a.hash for a, b in pairwise(kept))
    finally:
        await engine.dispose()


async def test_appending_the_same_event_twice_changes_nothing(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        first = await store.append(session, SCOPE, entry(1))
        await store.append(session, SCOPE, entry(2))
    async with sessions.begin() as session:
        again = await store.append(session, SCOPE, entry(1))
        same_event_other_content = await store.append(session, SCOPE, entry(5, event_id="event-2"))
    assert first is not None
    assert again is None
    assert same_event_other_content is None
    async with sessions() as session:
        assert await store.records(session, SCOPE) == chain(2)


async def test_each_period_has_its_own_chain(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await store.append(session, SCOPE, entry(1))
        other = await store.append(session, OTHER_SCOPE, entry(1))
        await store.append(session, SCOPE, entry(2))
    assert other is not None
    assert (other.sequence, other.prev_hash) == (1, OTHER_SCOPE.genesis_hash)
    async with sessions() as session:
        assert [r.sequence for r in await store.records(session, SCOPE)] == [1, 2]
        assert await store.records(session, OTHER_SCOPE) == [other]


async def test_a_period_is_sealed_once_and_keeps_its_pack(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for number in (1, 2, 3):
            await store.append(session, SCOPE, entry(number))
        assert await store.sealed_pack(session, SCOPE) is None
        sealed = await store.seal_period(session, SCOPE, SIGNER, SEALED_AT)
    async with sessions.begin() as session:
        # A late record still joins the chain, but the sealed pack stays as it was.
        await store.append(session, SCOPE, entry(4))
        again = await store.seal_period(session, SCOPE, SIGNER, SEALED_AT + timedelta(days=1))
        assert await store.sealed_pack(session, SCOPE) == sealed
    assert again == sealed
    assert b'"record_count":3' in sealed
    assert b'"period_closed":true' in sealed


def _timestamp(at: datetime) -> Timestamp:
    timestamp = Timestamp()
    timestamp.FromDatetime(at)
    return timestamp


def test_a_status_change_event_becomes_an_entry_in_its_periods_chain() -> None:
    changed = obligations_pb2.ObligationStatusChanged(
        obligation=types_pb2.ObligationRef(
            obligation_id="obligation-1",
            department_id="demo",
            form_type_id="vat-return",
            filer_id="acme-ltd",
            period_key="2026-Q4",
        ),
        from_status="checking",
        to_status="returned",
        actor="system",
        reason="Version 2 returned",
        reasons=[
            types_pb2.Reason(
                code=types_pb2.REASON_CODE_TOTAL_MISMATCH,
                message="The total is 1p out",
                # Not in the audit format: records hash as they did before reasons had it.
                field_id="box3",
            )
        ],
        submission_version=2,
        changed_at=_timestamp(datetime(2026, 11, 2, 10, 30, tzinfo=UTC)),
        sequence=4,
    )
    scope, audit_entry = events.status_change(
        Event(payload=changed, key="obligation-1", source="t")
    )
    assert scope == SCOPE
    assert audit_entry.model_dump() == {
        "recorded_at": datetime(2026, 11, 2, 10, 30, tzinfo=UTC),
        "event_id": audit_entry.event_id,
        "obligation_id": "obligation-1",
        "filer_id": "acme-ltd",
        "actor": "system",
        "action": "status_changed",
        "from_status": "checking",
        "to_status": "returned",
        "reason": "Version 2 returned",
        "reasons": ({"code": "TOTAL_MISMATCH", "message": "The total is 1p out"},),
        "submission_version": 2,
    }


def test_a_quarter_closed_event_names_the_chain_to_seal() -> None:
    closed = obligations_pb2.QuarterClosed(
        department_id="demo",
        form_type_id="vat-return",
        period_key="2026-Q4",
        closed_at=_timestamp(SEALED_AT),
    )
    event = Event(payload=closed, key="demo/vat-return/2026-Q4", source="t")
    assert events.quarter_closed(event) == (SCOPE, SEALED_AT)
