"""The receipts schema as the releases before migrations made it (with create_all): a
database they made is adopted at this revision (see cabinet_common.migrations).

Revision ID: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_records",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", "version"),
    )
    with op.batch_alter_table("check_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_records_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "filed_files",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("first_filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "file_sha256"),
    )
    op.create_table(
        "filed_lines",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("payee_key", sa.String(length=200), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "receipt_id"),
    )
    with op.batch_alter_table("filed_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_filed_lines_lookalike", ["department_id", "payee_key", "date"], unique=False
        )

    op.create_table(
        "known_form_types",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "version"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_published_at"), ["published_at"], unique=False)

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_published_at"))

    op.drop_table("outbox")
    op.drop_table("known_form_types")
    with op.batch_alter_table("filed_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_filed_lines_lookalike")

    op.drop_table("filed_lines")
    op.drop_table("filed_files")
    with op.batch_alter_table("check_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_records_department_id"))

    op.drop_table("check_records")
