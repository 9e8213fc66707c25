"""Expand and contract: no migration may drop or rename a column the previous release reads.

While a service rolls, pods of the previous release keep running on the database the new
release's migrations changed, and a rollback returns to them. So a release's migrations
may add (expand) but not remove what the previous release maps (its tables and columns,
recorded by `make release` in deploy/schemas/<version>.json from its SQLAlchemy models);
a drop or rename waits for the release after the last one that reads it (contract).

    python -m cabinet_devstack.schema_gate check            # exit 1 on a violation
    python -m cabinet_devstack.schema_gate release VERSION  # record VERSION's columns

The check runs each service's migrations to head on a scratch SQLite database and looks
for every table and column of the newest recorded release.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect

from cabinet_common.migrations import ServiceSchema

REPO_ROOT = Path(__file__).resolve().parents[4]
RELEASES_DIR = REPO_ROOT / "deploy" / "schemas"
SERVICES = ("intake", "receipts", "cycles", "web")

Columns = dict[str, list[str]]  # table -> column names


def service_schema(service: str) -> ServiceSchema:
    schema: ServiceSchema = importlib.import_module(f"cabinet_{service}.migrations").SCHEMA
    return schema


def columns_read(schema: ServiceSchema) -> Columns:
    """What this code maps, and so reads: its tables and their columns."""
    return {table.name: sorted(c.name for c in table.columns) for table in schema.tables()}


def migrated_columns(schema: ServiceSchema) -> Columns:
    """The tables and columns the service's migrations leave at head (scratch SQLite)."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            command.upgrade(schema.config(connection), "head")
            inspector = inspect(connection)
            return {
                name: sorted(c["name"] for c in inspector.get_columns(name))
                for name in inspector.get_table_names()
                if name != "alembic_version"
            }
    finally:
        engine.dispose()


def violations(service: str, release: str, read: Columns, migrated: Columns) -> list[str]:
    problems = []
    for table, columns in sorted(read.items()):
        if table not in migrated:
            problems.append(f"{service}: table {table} is gone, release {release} reads it")
            continue
        for column in columns:
            if column not in migrated[table]:
                problems.append(
                    f"{service}: {table}.{column} is dropped or renamed, release {release}"
                    " reads it (expand now, contract in a later release)"
                )
    return problems


def last_release() -> Path | None:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.stem.split("."))

    return max(RELEASES_DIR.glob("*.json"), key=version, default=None)


def check(schemas: dict[str, ServiceSchema] | None = None) -> list[str]:
    baseline = last_release()
    if baseline is None:
        return [f"no release recorded in {RELEASES_DIR}"]
    recorded: dict[str, Columns] = json.loads(baseline.read_text())
    schemas = schemas or {service: service_schema(service) for service in SERVICES}
    problems = []
    for service, schema in schemas.items():
        read = recorded.get(service, {})
        problems += violations(service, baseline.stem, read, migrated_columns(schema))
    return problems


def release(version: str) -> Path:
    RELEASES_DIR.mkdir(parents=True, exist_ok=True)
    path = RELEASES_DIR / f"{version}.json"
    columns = {service: columns_read(service_schema(service)) for service in SERVICES}
    path.write_text(json.dumps(columns, indent=2, sort_keys=True) + "\n")
    return path


def main() -> int:
    if sys.argv[1:2] == ["check"]:
        problems = check()
        if problems:
            print("Migrations break the last release:", *problems, sep="\n  ")
            return 1
        print(f"Every column the last release ({last_release().stem}) reads survives.")  # type: ignore[union-attr]
        return 0
    if sys.argv[1:2] == ["release"] and len(sys.argv) == 3:
        print(f"Recorded the columns release {sys.argv[2]} reads in {release(sys.argv[2])}.")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
