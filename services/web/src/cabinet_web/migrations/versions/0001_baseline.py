"""The web schema as the releases before migrations made it (with create_all): a
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
        "web_drafts",
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("filer_id", sa.String(length=100), nullable=False),
        sa.Column("filer_name", sa.String(length=200), nullable=False),
        sa.Column("form_type_id", sa.String(length=100), nullable=False),
        sa.Column("form_type_version", sa.Integer(), nullable=False),
        sa.Column("based_on_version", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("keep_receipt_ids", sa.JSON(), nullable=False),
        sa.Column("keyed_by", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("send_problems", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("draft_id"),
        sa.UniqueConstraint("obligation_id", "channel"),
    )
    with op.batch_alter_table("web_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_drafts_obligation_id"), ["obligation_id"], unique=False
        )

    op.create_table(
        "web_users",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.String(length=100), nullable=False),
        sa.Column("filer_id", sa.String(length=100), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("web_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_users_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "web_draft_receipts",
        sa.Column("receipt_id", sa.String(length=36), nullable=False),
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["web_drafts.draft_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("receipt_id"),
    )
    with op.batch_alter_table("web_draft_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_draft_receipts_draft_id"), ["draft_id"], unique=False
        )

    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["web_users.user_id"],
        ),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("web_draft_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_draft_receipts_draft_id"))

    op.drop_table("web_draft_receipts")
    with op.batch_alter_table("web_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_users_department_id"))

    op.drop_table("web_users")
    with op.batch_alter_table("web_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_drafts_obligation_id"))

    op.drop_table("web_drafts")
