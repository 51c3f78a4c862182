"""subscription.origin: who chose the address ("operator" trusted, "web" checked)

The address policy (monitor.net) trusts the addresses the operator configured, in
settings.toml or with the CLI, and requires an address typed into the web form to be
public, checked again at each send. Existing rows were all made by the operator.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=16), server_default="operator", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("origin")
