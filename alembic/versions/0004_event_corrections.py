"""user corrections of events: dismissed, merged into another, articles split out

``banwatch events dismiss E`` marks an event not a ban (``dismissed_at``): it stays for
evaluation as a false positive and sends no further alerts. ``events merge A B`` keeps B's
row (and its deliveries) with ``merged_into_id`` = A. ``events split E --article N``
records (E, N) in ``event_exclusion`` so the article never rejoins E.

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
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_event_merged_into_id_event"),
            "event",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "event_exclusion",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_exclusion_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_event_exclusion_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "article_id", name=op.f("pk_event_exclusion")),
    )
    op.create_index(
        op.f("ix_event_exclusion_article_id"), "event_exclusion", ["article_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_event_exclusion_article_id"), table_name="event_exclusion")
    op.drop_table("event_exclusion")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_merged_into_id_event"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("dismissed_at")
