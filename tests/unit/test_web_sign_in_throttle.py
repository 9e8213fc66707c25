"""Sign-in throttling: five wrong passwords lock that account for that client only, so a
stranger cannot lock the owner out; argon2 checks run at most MAX_CONCURRENT_VERIFICATIONS
at a time, however many sign-ins arrive together."""

import asyncio
import threading
import time
from pathlib import Path

import pytest

from cabinet_common.database import create_engine, session_factory
from cabinet_common.migrations import migrate_engine
from cabinet_web import accounts
from cabinet_web.accounts import MAX_FAILED_SIGN_INS, Role, SignInLocked, authenticate, save_user
from cabinet_web.migrations import SCHEMA
from tests.unit.web_support import PASSWORD


async def _sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    await migrate_engine(engine, SCHEMA)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await save_user(session, "filer-1", PASSWORD, "Filer", Role.FILER, "dept", "filer-a")
    return engine, sessions


async def test_a_stranger_locks_out_only_their_own_client(tmp_path: Path) -> None:
    engine, sessions = await _sessions(tmp_path)
    for _ in range(MAX_FAILED_SIGN_INS):
        async with sessions.begin() as session:
            assert await authenticate(session, "filer-1", "guess", "203.0.113.9") is None
    with pytest.raises(SignInLocked):
        async with sessions.begin() as session:
            await authenticate(session, "filer-1", PASSWORD, "203.0.113.9")
    # The owner, from their own address, signs in as ever, and is not counted against.
    async with sessions.begin() as session:
        user = await authenticate(session, "filer-1", PASSWORD, "198.51.100.4")
    assert user is not None and user.user_id == "filer-1"
    await engine.dispose()


async def test_argon2_checks_are_bounded_in_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak, lock = [0], [0], threading.Lock()

    class SlowHasher:
        def verify(self, password_hash: str, password: str) -> bool:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return False

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())

    # Twelve checks at once, each in a thread of its own (as sign-ins are).
    await asyncio.gather(*(asyncio.to_thread(accounts._verify, "hash", "x") for _ in range(12)))
    assert peak[0] == accounts.MAX_CONCURRENT_VERIFICATIONS
