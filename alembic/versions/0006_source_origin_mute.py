"""sources added from the CLI or OPML, switched off by hand; subscriptions muted until

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        # Where the source was declared: "settings" (settings.toml, mirrored by sync_config),
        # "cli" (banwatch sources add) or "opml" (banwatch sources import).
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="settings")
        )
        # Switched off with `banwatch sources disable` (either origin); `enabled` stays what
        # settings.toml says.
        batch_op.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("category", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("muted_until")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("options")
        batch_op.drop_column("category")
        batch_op.drop_column("disabled")
        batch_op.drop_column("origin")
