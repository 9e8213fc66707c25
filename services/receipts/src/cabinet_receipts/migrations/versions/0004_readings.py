"""receipt_readings (what each receipt's document says) and pending_checks (submissions
waiting for their readings).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_checks",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", "version"),
    )
    with op.batch_alter_table("pending_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_checks_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "receipt_readings",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "receipt_id"),
    )
    with op.batch_alter_table("receipt_readings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_readings_file_sha256"), ["file_sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("receipt_readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_readings_file_sha256"))

    op.drop_table("receipt_readings")
    with op.batch_alter_table("pending_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_checks_received_at"))

    op.drop_table("pending_checks")
