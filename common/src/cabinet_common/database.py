"""Each service's own database: SQLite by default, PostgreSQL in production (SQLAlchemy async)."""

from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, DateTime, Dialect, event, inspect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import CreateColumn
from sqlalchemy.types import TypeDecorator

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset at all)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Cabinet stores only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for every service's tables, including the shared outbox and inbox."""


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        _make_sqlite_safe_for_concurrent_writers(engine)
    return engine


def _make_sqlite_safe_for_concurrent_writers(engine: AsyncEngine) -> None:
    # pysqlite's deferred transactions fail at once with "database is locked" when two
    # transactions both read then write; BEGIN IMMEDIATE takes the write lock up front and
    # honours busy_timeout instead (SQLAlchemy's documented SQLite recipe).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def create_schema(engine: AsyncEngine) -> None:
    """Create the tables that are missing, and add to existing tables the columns added
    since they were made (see _add_missing_columns)."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(_add_missing_columns)


def _add_missing_columns(connection: Connection) -> None:
    """create_all makes missing tables but never alters one that exists, so a database
    made by an earlier release lacks the columns added since. Add each one that can be
    added to rows already there: nullable, or with a server default. Any other missing
    column is logged and left alone (its table needs rebuilding by hand)."""
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable and column.server_default is None:
                log.warning(
                    "Missing column has no server default: not added",
                    table=table.name,
                    column=column.name,
                )
                continue
            ddl = CreateColumn(column).compile(dialect=connection.dialect)
            name = connection.dialect.identifier_preparer.format_table(table)
            connection.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {ddl}")
            log.info("Added missing column", table=table.name, column=column.name)


def session_factory(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)
