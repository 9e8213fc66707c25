"""Schema gate (expand and contract): every service's migrations keep every table and
column the last release reads (deploy/schemas/<version>.json), and a migration that drops
or renames one fails the gate."""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cabinet_common.migrations import ServiceSchema
from cabinet_devstack import schema_gate


@dataclass(frozen=True)
class CopiedSchema(ServiceSchema):
    """A service's schema whose migration history is a copy, with one revision added."""

    location: Path = Path()

    @property
    def script_location(self) -> Path:
        return self.location


def with_revision(tmp_path: Path, service: str, body: str) -> CopiedSchema:
    schema = schema_gate.service_schema(service)
    copy = tmp_path / "migrations"
    shutil.copytree(schema.script_location, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (head,) = schema.heads()
    (copy / "versions" / "9999_release_under_test.py").write_text(
        f'"""Revision under test."""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        'revision = "9999"\n'
        f"down_revision = {head!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        f"{body}\n"
    )
    return CopiedSchema(schema.service, schema.package, schema.shared, location=copy)


def a_column_the_last_release_reads(service: str) -> tuple[str, str]:
    """A column the last release maps, in no key or index (SQLite drops those freely)."""
    baseline = schema_gate.last_release()
    assert baseline is not None
    read = json.loads(baseline.read_text())[service]
    for table in schema_gate.service_schema(service).tables():
        indexed = {c.name for index in table.indexes for c in index.columns}
        for column in table.columns:
            plain = not column.primary_key and column.name not in indexed
            if plain and not column.foreign_keys and column.name in read.get(table.name, []):
                return table.name, column.name
    raise AssertionError(f"{service}: no column to drop")


def test_todays_migrations_keep_what_the_last_release_reads() -> None:
    assert schema_gate.last_release() is not None, "make release records deploy/schemas/"
    assert schema_gate.check() == []


@pytest.mark.parametrize("service", schema_gate.SERVICES)
def test_the_last_release_records_what_each_service_reads(service: str) -> None:
    baseline = schema_gate.last_release()
    assert baseline is not None
    recorded = json.loads(baseline.read_text())[service]
    assert recorded and all(recorded.values()), f"{service}: nothing recorded"


@pytest.mark.parametrize(
    ("change", "body"),
    [
        (
            "drop",
            "    with op.batch_alter_table({table!r}) as batch:\n"
            "        batch.drop_column({column!r})",
        ),
        (
            "rename",
            "    with op.batch_alter_table({table!r}) as batch:\n"
            "        batch.alter_column({column!r}, new_column_name={column!r} + '_v2')",
        ),
        ("drop table", "    op.drop_table({table!r})"),
    ],
)
def test_a_migration_dropping_or_renaming_what_the_last_release_reads_fails(
    change: str, body: str, tmp_path: Path
) -> None:
    table, column = a_column_the_last_release_reads("intake")
    schema = with_revision(tmp_path, "intake", body.format(table=table, column=column))
    problems = schema_gate.check({"intake": schema})
    expected = f"table {table} is gone" if change == "drop table" else f"{table}.{column} is"
    assert any(expected in problem for problem in problems), problems


def test_an_added_column_passes(tmp_path: Path) -> None:
    table, _ = a_column_the_last_release_reads("intake")
    body = f"    op.add_column({table!r}, sa.Column('note', sa.String(200), nullable=True))"
    assert schema_gate.check({"intake": with_revision(tmp_path, "intake", body)}) == []
