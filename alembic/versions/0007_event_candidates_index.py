"""an index for the scored event candidates (platform, action, last seen)

monitor.events scores a report against the newest events of its platform and action family
in the window; without this index the lookup sorted every event of the window
(bench/dedupe.py).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_event_candidates", "event", ["platform", "action", "last_seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_event_candidates", table_name="event")
