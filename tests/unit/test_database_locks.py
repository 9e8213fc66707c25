"""What keeps read-then-write transactions correct on PostgreSQL (READ COMMITTED), where
SQLite relied on its whole-database write lock: `serialize`, an advisory lock per key, run
on both backends with transactions that really overlap."""

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from cabinet_common.database import create_engine, serialize, session_factory
from tests.postgres_support import BACKENDS

counters = MetaData()
counter = Table(
    "counter", counters, Column("name", String(20), primary_key=True), Column("value", Integer)
)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_serialized_read_then_write_loses_no_update(
    backend: str, new_database: Callable[[str], str]
) -> None:
    engine = create_engine(new_database(backend))
    sessions = session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(counters.create_all)
            await connection.execute(counter.insert().values(name="filed", value=0))

        async def increment() -> None:
            async with sessions.begin() as session:
                await serialize(session, "counter", "filed")
                value = await session.scalar(select(counter.c.value))
                await asyncio.sleep(0.05)  # both would read the same value without the lock
                await session.execute(update(counter).values(value=(value or 0) + 1))

        await asyncio.gather(*(increment() for _ in range(5)))
        async with sessions() as session:
            assert await session.scalar(select(counter.c.value)) == 5
    finally:
        await engine.dispose()
