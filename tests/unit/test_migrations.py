"""Each service's migration history, on SQLite and on PostgreSQL: it makes exactly the
tables the models describe, it carries data over from the first revision, two migrators at
once are safe, a database made before migrations is adopted, and a service refuses a
database that is not at its head."""

import asyncio
import importlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    func,
    select,
    text,
)

from cabinet_common.database import create_engine
from cabinet_common.migrations import (
    PreMigrationsDatabase,
    SchemaNotCurrent,
    ServiceSchema,
    check_at_head,
    migrate,
    migrate_engine,
    schema_differences,
)
from tests.postgres_support import BACKENDS

SERVICES = ("intake", "receipts", "cycles", "web")


def schema_of(service: str) -> ServiceSchema:
    # The whole app, so a table module the migrations package forgets is still compared.
    importlib.import_module(f"cabinet_{service}.app")
    schema: ServiceSchema = importlib.import_module(f"cabinet_{service}.migrations").SCHEMA
    return schema


async def differences(url: str, schema: ServiceSchema) -> list[object]:
    engine = create_engine(url)
    try:
        return await schema_differences(engine, schema)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrations_make_what_the_models_describe(
    service: str, backend: str, new_database: Callable[[str], str]
) -> None:
    schema = schema_of(service)
    url = new_database(backend)
    await migrate(url, schema)
    assert await differences(url, schema) == []


def _value(column: Any, row_of: dict[str, dict[str, object]]) -> object:
    for key in column.foreign_keys:
        return row_of[key.column.table.name][key.column.name]
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2026, 1, 2)
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, JSON):
        return {"kept": ["across", "upgrades"]}
    if isinstance(kind, LargeBinary):
        return b"\x00kept"
    if isinstance(kind, String):
        return "kept"[: kind.length or 4]
    raise AssertionError(f"no sample value for {column.table.name}.{column.name} ({kind!r})")


def _fill_every_table(connection: Connection) -> dict[str, int]:
    """One row in every table (foreign keys pointing at the rows made before)."""
    metadata = MetaData()
    metadata.reflect(connection)
    row_of: dict[str, dict[str, object]] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        row_of[table.name] = {}
        for column in table.columns:
            row_of[table.name][column.name] = _value(column, row_of)
        connection.execute(table.insert().values(row_of[table.name]))
    return {name: 1 for name in row_of}


def _count_rows(connection: Connection, names: list[str]) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(connection, only=names)
    return {
        name: connection.execute(
            select(func.count()).select_from(metadata.tables[name])
        ).scalar_one()
        for name in names
    }


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("service", SERVICES)
async def test_upgrading_from_the_first_revision_keeps_the_data(
    service: str, backend: str, new_database: Callable[[str], str]
) -> None:
    schema = schema_of(service)
    engine = create_engine(new_database(backend))
    try:
        await migrate_engine(engine, schema, schema.first_revision())
        async with engine.begin() as connection:
            filled = await connection.run_sync(_fill_every_table)
        assert filled, "the first revision makes tables"
        await migrate_engine(engine, schema)
        async with engine.connect() as connection:
            assert await connection.run_sync(_count_rows, list(filled)) == filled
        assert await schema_differences(engine, schema) == []
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_migrators_at_once_leave_one_schema_at_head(
    backend: str, new_database: Callable[[str], str]
) -> None:
    """As two pods' init containers starting together: each has its own engine, and
    without the lock both would create the same tables."""
    schema = schema_of("cycles")
    url = new_database(backend)
    await asyncio.gather(migrate(url, schema), migrate(url, schema), migrate(url, schema))
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
        assert [v for (v,) in versions] == list(schema.heads())
        assert await schema_differences(engine, schema) == []
        await check_at_head(engine, schema)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("made_like", ["first", "head"])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_made_before_migrations_is_adopted(
    backend: str, made_like: str, new_database: Callable[[str], str]
) -> None:
    """What create_all made is a revision's schema without Alembic's version table: the
    first revision's (an older release) or the newest (the release just before)."""
    schema = schema_of("intake")
    engine = create_engine(new_database(backend))
    try:
        made = schema.first_revision() if made_like == "first" else "head"
        await migrate_engine(engine, schema, made)
        async with engine.begin() as connection:
            filled = await connection.run_sync(_fill_every_table)
            await connection.execute(text("DROP TABLE alembic_version"))
        await migrate_engine(engine, schema)
        await check_at_head(engine, schema)
        async with engine.connect() as connection:
            assert await connection.run_sync(_count_rows, list(filled)) == filled
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_older_than_the_first_revision_is_refused(
    backend: str, new_database: Callable[[str], str]
) -> None:
    schema = schema_of("intake")
    engine = create_engine(new_database(backend))
    try:
        await migrate_engine(engine, schema, schema.first_revision())
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE alembic_version"))
            await connection.execute(text("ALTER TABLE submission_versions DROP COLUMN keyed_by"))
        with pytest.raises(PreMigrationsDatabase, match=r"submission_versions\.keyed_by"):
            await migrate_engine(engine, schema)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_service_refuses_a_database_not_at_its_head(
    backend: str, new_database: Callable[[str], str]
) -> None:
    schema = schema_of("receipts")
    engine = create_engine(new_database(backend))
    try:
        with pytest.raises(SchemaNotCurrent, match="cabinet-receipts migrate"):
            await check_at_head(engine, schema)
        await migrate_engine(engine, schema)
        await check_at_head(engine, schema)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_rolled_back_release_starts_on_its_successors_schema(
    backend: str, new_database: Callable[[str], str]
) -> None:
    """After a rollback the database is at a revision this code has never seen: its
    migrate leaves it alone and the service starts (migrations only expand)."""
    schema = schema_of("intake")
    engine = create_engine(new_database(backend))
    try:
        await migrate_engine(engine, schema)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'future'"))
        await migrate_engine(engine, schema)
        await check_at_head(engine, schema)
        async with engine.connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
        assert [v for (v,) in versions] == ["future"]
    finally:
        await engine.dispose()
