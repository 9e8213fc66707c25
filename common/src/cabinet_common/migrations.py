"""Each service's schema is an Alembic migration history inside its own package
(`cabinet_<service>/migrations/`): its own tables and the shared ones it keeps (outbox,
processed_events, known_form_types). `cabinet-<service> migrate` upgrades its database to
the newest revision; `make up`, the tests and the Kubernetes init container run it, and a
service refuses to start on a database that is not at its head.

Migrating is safe to run twice at once (two pods starting together): on PostgreSQL the
migration runs in one transaction under a transaction-scoped advisory lock, on SQLite under
the database's write lock (BEGIN IMMEDIATE); the second migrator waits, then finds the
database at head and does nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import structlog
from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Table, create_engine, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from cabinet_common.database import Base
from cabinet_common.database import create_engine as create_async_engine

log = structlog.get_logger(__name__)


class SchemaNotCurrent(RuntimeError):
    """The database is not at the revision this code expects: run the migrate command."""


class PreMigrationsDatabase(RuntimeError):
    """Tables made before migrations existed that do not match the first revision."""


@dataclass(frozen=True)
class ServiceSchema:
    """One service's tables and where its migration history lives.

    Its own tables are those mapped by classes in `package`; the shared ones (defined in
    cabinet_common) are named by their mapped classes in `shared`."""

    service: str
    package: str
    shared: Sequence[type[Base]] = field(default_factory=tuple)

    @property
    def script_location(self) -> Path:
        return Path(str(resources.files(self.package) / "migrations"))

    def tables(self) -> list[Table]:
        own = [
            mapper.local_table
            for mapper in Base.registry.mappers
            if mapper.class_.__module__.startswith(f"{self.package}.")
        ]
        shared = [cls.__table__ for cls in self.shared]
        return [t for t in (*own, *shared) if isinstance(t, Table)]

    def metadata(self) -> MetaData:
        """A MetaData of this service's tables only (Base.metadata holds every service's
        tables when several are imported into one process, as in the tests)."""
        metadata = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in self.tables():
            table.to_metadata(metadata)
        return metadata

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.script_location))
        config.attributes["schema"] = self
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def heads(self) -> tuple[str, ...]:
        return tuple(ScriptDirectory.from_config(self.config()).get_heads())

    def newer_revisions(self, current: Sequence[str]) -> list[str]:
        """Those of `current` this code does not know: written by a newer release (the
        database has been migrated past this code, as after a rollback)."""
        script = ScriptDirectory.from_config(self.config())
        return [r for r in current if r not in {s.revision for s in script.walk_revisions()}]

    def first_revision(self) -> str:
        script = ScriptDirectory.from_config(self.config())
        (base,) = script.get_bases()
        return str(base)


def run_env() -> None:
    """The body of every service's migrations/env.py: run on the connection that
    `migrate` opened (and locked) and put in the Alembic config."""
    config = context.config
    schema: ServiceSchema = config.attributes["schema"]
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(f"run migrations with `cabinet-{schema.service} migrate`")
    context.configure(
        connection=connection,
        target_metadata=schema.metadata(),
        # SQLite alters a table by copying it (batch mode); on PostgreSQL the same
        # operations run in place, so one migration serves both.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(kind: str, item: object, autogen_context: object) -> str | Literal[False]:
    """Write a column type of ours (UtcDateTime) as the plain type it stores, so that a
    migration never imports application code that may change after it was written."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


async def migrate(database_url: str, schema: ServiceSchema, revision: str = "head") -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate_engine(engine, schema, revision)
    finally:
        await engine.dispose()


async def migrate_engine(
    engine: AsyncEngine, schema: ServiceSchema, revision: str = "head"
) -> None:
    """Upgrade the database to `revision`, one migrator at a time."""
    # On SQLite the engine begins every transaction IMMEDIATE, taking the write lock.
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                {"name": f"cabinet-migrate:{schema.service}"},
            )
        await connection.run_sync(_upgrade, schema, revision)


def _upgrade(connection: Connection, schema: ServiceSchema, revision: str) -> None:
    config = schema.config(connection)
    if _made_before_migrations(connection, schema):
        # Made by create_all: it is the newest schema if it matches the models exactly,
        # and otherwise (an older release's) the first revision's.
        adopted = "head" if not _differences(connection, schema) else schema.first_revision()
        log.info("adopting a database made before migrations", revision=adopted)
        command.stamp(config, adopted)
    before = MigrationContext.configure(connection).get_current_heads()
    if schema.newer_revisions(before):
        # A rollback's init container: the newer release's schema is one this release
        # reads (migrations only expand), and there is nothing this code could do to it.
        log.warning("database is at a newer release's revision; left as it is", at=before)
        return
    command.upgrade(config, revision)
    after = MigrationContext.configure(connection).get_current_heads()
    log.info("database migrated", service=schema.service, before=before, after=after)


def _made_before_migrations(connection: Connection, schema: ServiceSchema) -> bool:
    """Tables of this service but no alembic_version: made by create_all (before Alembic).
    They are adopted as the first revision if they hold every table and column it makes."""
    existing = set(inspect(connection).get_table_names())
    if "alembic_version" in existing or not existing & {t.name for t in schema.tables()}:
        return False
    expected = _first_revision_columns(schema)
    present = {
        name: {c["name"] for c in inspect(connection).get_columns(name)}
        for name in expected
        if name in existing
    }
    missing = {
        f"{table}.{column}"
        for table, columns in expected.items()
        for column in columns - present.get(table, set())
    }
    if missing:
        raise PreMigrationsDatabase(
            f"the {schema.service} database was made before migrations by a release older"
            f" than the first revision (it lacks {', '.join(sorted(missing))}):"
            " bring it up to date with that release first, or start it afresh"
        )
    return True


def _first_revision_columns(schema: ServiceSchema) -> dict[str, set[str]]:
    """The tables and columns the first revision makes, read off a scratch database."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as connection:
            command.upgrade(schema.config(connection), schema.first_revision())
            inspector = inspect(connection)
            return {
                name: {c["name"] for c in inspector.get_columns(name)}
                for name in inspector.get_table_names()
                if name != "alembic_version"
            }
    finally:
        scratch.dispose()


async def check_at_head(engine: AsyncEngine, schema: ServiceSchema) -> None:
    """SchemaNotCurrent unless the database is at this code's head revision, or at a newer
    release's (after a rollback: migrations only expand, so this code reads that schema)."""
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_heads()
        )
    if set(current) == set(schema.heads()):
        return
    if current and schema.newer_revisions(current):
        log.warning("database is at a newer release's revision", service=schema.service, at=current)
        return
    raise SchemaNotCurrent(
        f"the {schema.service} database is at revision {', '.join(current) or 'none'},"
        f" this code needs {', '.join(schema.heads())}:"
        f" run `cabinet-{schema.service} migrate`"
    )


async def schema_differences(engine: AsyncEngine, schema: ServiceSchema) -> list[object]:
    """What autogenerate would change to make the database match the models (empty when the
    migrations and the models agree)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_differences, schema)


def _differences(connection: Connection, schema: ServiceSchema) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, schema.metadata()))
