"""The intake schema as the releases before migrations made it (with create_all): a
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
        "known_form_types",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "version"),
    )
    op.create_table(
        "known_obligations",
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("filer_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("form_type_version", sa.Integer(), nullable=False),
        sa.Column("acknowledgement_reference", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("obligation_id"),
    )
    with op.batch_alter_table("known_obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_obligations_department_id"), ["department_id"], unique=False
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
    op.create_table(
        "submission_returns",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("submission_returns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_returns_version", ["submission_id", "version"], unique=False
        )

    op.create_table(
        "returned_receipts",
        sa.Column("return_event_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_event_id"],
            ["submission_returns.event_id"],
        ),
        sa.PrimaryKeyConstraint("return_event_id", "receipt_id"),
    )
    op.create_table(
        "submissions",
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["known_obligations.obligation_id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
        sa.UniqueConstraint("obligation_id"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "submission_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("submission_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("declared_total_pence", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=10), server_default="online", nullable=False),
        sa.Column("keyed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.submission_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("obligation_id", "idempotency_key"),
        sa.UniqueConstraint("submission_id", "version"),
    )
    op.create_table(
        "receipts",
        sa.Column("submission_version_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_version_id"],
            ["submission_versions.id"],
        ),
        sa.PrimaryKeyConstraint("submission_version_id", "receipt_id"),
    )


def downgrade() -> None:
    op.drop_table("receipts")
    op.drop_table("submission_versions")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_department_id"))

    op.drop_table("submissions")
    op.drop_table("returned_receipts")
    with op.batch_alter_table("submission_returns", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_returns_version")

    op.drop_table("submission_returns")
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_published_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("known_obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_obligations_department_id"))

    op.drop_table("known_obligations")
    op.drop_table("known_form_types")
