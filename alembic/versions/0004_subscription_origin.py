"""where a subscription came from: settings.toml, the CLI, or the web form

The outbound address policy trusts the webhook and Apprise addresses the operator chose
(settings.toml, `banwatch subscribe`), never those typed into the web form by anyone:
``subscription.origin`` says which is which ("config", "cli", "web"). Rows made before
this revision came from the file or the CLI.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=16), server_default="cli", nullable=False)
        )
    op.execute("UPDATE subscription SET origin = 'config' WHERE from_config")


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("origin")
