"""known_obligations.settled_status: waived or closed, heard from ObligationStatusChanged
(such an obligation takes no submission).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("known_obligations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_obligations", schema=None) as batch_op:
        batch_op.drop_column("settled_status")
