"""Each service's own database: SQLite by default, PostgreSQL in production (SQLAlchemy async)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

Sessions = async_sessionmaker[AsyncSession]

# The largest value an Integer column holds on PostgreSQL (SQLite takes more): numbers from
# requests that are compared with such a column are bounded by it, or PostgreSQL refuses
# the query.
MAX_INTEGER = 2**31 - 1


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


def session_factory(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


async def serialize(session: AsyncSession, *key: str) -> None:
    """Until the transaction ends, hold the lock named by `key`: transactions that read and
    then write what `key` names (a department's filed receipts, a form type's versions) take
    turns instead of both acting on what they read.

    On PostgreSQL (READ COMMITTED) a transaction-scoped advisory lock, which a transaction
    waiting on it passes with a fresh view of what the holder committed; on SQLite nothing,
    since every transaction begins IMMEDIATE and holds the whole database's write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": "\x1f".join(key)},
    )
