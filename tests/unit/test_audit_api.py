"""The audit endpoints: a period's records, its pack (a snapshot, then the sealed one), and
the public key that verifies it."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from cabinet_common import problems
from cabinet_common.database import Sessions, create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_common.signing import generate_seed, load_public_key
from cabinet_cycles.audit import store
from cabinet_cycles.audit.api import router
from cabinet_cycles.audit.verify import verify
from cabinet_cycles.migrations import SCHEMA
from cabinet_cycles.settings import CyclesSettings
from cabinet_cycles.tables import OpenedPeriod
from tests.auth_support import MACHINE, trust_test_tokens
from tests.unit.audit_samples import SCOPE, SEALED_AT, chain, entry

PERIOD = "/departments/demo/form-types/vat-return/periods/2026-Q4"
SEED = generate_seed()


@pytest.fixture
async def sessions() -> AsyncIterator[Sessions]:
    engine = create_engine("sqlite+aiosqlite://")
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        session.add(
            OpenedPeriod(
                department_id="demo",
                form_type_id="vat-return",
                period_key="2026-Q4",
                start=date(2026, 10, 1),
                end=date(2026, 12, 31),
                due=date(2027, 2, 7),
                form_type_version=1,
                opened_at=datetime(2026, 10, 1, tzinfo=UTC),
                closes_at=datetime(2027, 5, 8, tzinfo=UTC),
            )
        )
        for number in (1, 2, 3):
            await store.append(session, SCOPE, entry(number))
    yield sessions
    await engine.dispose()


def client(sessions: Sessions, signing_key: str | None = SEED) -> httpx.AsyncClient:
    app = FastAPI()
    problems.install(app)
    trust_test_tokens(app)
    app.include_router(router)
    app.state.settings = CyclesSettings(signing_key=SecretStr(signing_key) if signing_key else None)
    # The endpoints only use the runtime's sessions.
    app.state.runtime = SimpleNamespace(sessions=sessions)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cycles", headers=MACHINE
    )


async def public_key_of(http: httpx.AsyncClient) -> str:
    response = await http.get("/signing-key")
    assert response.status_code == 200
    key: str = response.json()["public_key"]
    return key


async def test_the_records_so_far_in_chain_order(sessions: Sessions) -> None:
    async with client(sessions) as http:
        response = await http.get(f"{PERIOD}/audit")
    assert response.status_code == 200
    assert response.json() == [record.model_dump(mode="json") for record in chain(3)]


async def test_before_close_each_fetch_seals_a_snapshot(sessions: Sessions) -> None:
    async with client(sessions) as http:
        response = await http.get(f"{PERIOD}/audit-pack")
        public_key = load_public_key(await public_key_of(http))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="audit-demo-vat-return-2026-Q4.json"'
    )
    report = verify(response.content, public_key)
    assert report.ok
    assert report.manifest is not None
    assert (report.manifest.record_count, report.manifest.period_closed) == (3, False)


async def test_after_close_every_fetch_is_the_sealed_pack(sessions: Sessions) -> None:
    async with client(sessions) as http:
        async with sessions.begin() as session:
            settings = CyclesSettings(signing_key=SecretStr(SEED))
            sealed = await store.seal_period(session, SCOPE, settings.signer(), SEALED_AT)
            await store.append(session, SCOPE, entry(4))
        first = await http.get(f"{PERIOD}/audit-pack")
        second = await http.get(f"{PERIOD}/audit-pack")
        records = await http.get(f"{PERIOD}/audit")
    assert first.content == second.content == sealed
    assert json.loads(sealed)["manifest"]["period_closed"] is True
    assert len(records.json()) == 4


async def test_a_sealed_pack_is_served_even_without_a_key(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        signer = CyclesSettings(signing_key=SecretStr(SEED)).signer()
        sealed = await store.seal_period(session, SCOPE, signer, SEALED_AT)
    async with client(sessions, signing_key=None) as http:
        assert (await http.get(f"{PERIOD}/audit-pack")).content == sealed


async def test_without_a_key_nothing_is_signed(sessions: Sessions) -> None:
    async with client(sessions, signing_key=None) as http:
        pack = await http.get(f"{PERIOD}/audit-pack")
        key = await http.get("/signing-key")
        records = await http.get(f"{PERIOD}/audit")
    assert pack.status_code == key.status_code == 503
    assert "CABINET_SIGNING_KEY" in pack.json()["detail"]
    assert records.status_code == 200


async def test_an_unknown_period_is_not_found(sessions: Sessions) -> None:
    async with client(sessions) as http:
        for path in ("audit", "audit-pack"):
            response = await http.get(
                f"/departments/demo/form-types/vat-return/periods/2025-Q1/{path}"
            )
            assert response.status_code == 404
