"""The cycles schema as the releases before migrations made it (with create_all): a
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
        "acknowledgements",
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("obligation_id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_table(
        "audit_chains",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "period_key"),
    )
    op.create_table(
        "audit_packs",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "period_key"),
    )
    op.create_table(
        "audit_records",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "period_key", "sequence"),
        sa.UniqueConstraint("department_id", "form_type_id", "period_key", "event_id"),
    )
    op.create_table(
        "departments",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("department_id"),
    )
    op.create_table(
        "obligations",
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_version", sa.Integer(), nullable=False),
        sa.Column("filer_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("workflow_id", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_sequence", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("obligation_id"),
    )
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_obligations_quarter", ["department_id", "form_type_id", "period_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_obligations_status"), ["status"], unique=False)

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
        "periods",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("form_type_version", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "period_key"),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "quarter_closures",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=20), nullable=False),
        sa.Column("obligations", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("waived", sa.Integer(), nullable=False),
        sa.Column("outstanding", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "period_key"),
    )
    op.create_table(
        "filers",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("filer_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("form_type_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.department_id"],
        ),
        sa.PrimaryKeyConstraint("department_id", "filer_id"),
    )
    op.create_table(
        "form_types",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.department_id"],
        ),
        sa.PrimaryKeyConstraint("department_id", "form_type_id"),
    )
    op.create_table(
        "obligation_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.obligation_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("obligation_id", "sequence"),
    )
    op.create_table(
        "form_type_versions",
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id", "form_type_id"],
            ["form_types.department_id", "form_types.form_type_id"],
        ),
        sa.PrimaryKeyConstraint("department_id", "form_type_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("form_type_versions")
    op.drop_table("obligation_history")
    op.drop_table("form_types")
    op.drop_table("filers")
    op.drop_table("quarter_closures")
    op.drop_table("processed_events")
    op.drop_table("periods")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_published_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligations_status"))
        batch_op.drop_index("ix_obligations_quarter")

    op.drop_table("obligations")
    op.drop_table("departments")
    op.drop_table("audit_records")
    op.drop_table("audit_packs")
    op.drop_table("audit_chains")
    op.drop_table("acknowledgements")
