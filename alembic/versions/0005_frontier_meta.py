"""crawl frontier and installation-wide state

frontier: every article URL a source listed, written in the transaction that records the
source's validators and kept until its page is stored (done) or given up, so a crash
between a feed's answer and its pages can no longer hide an entry behind the next 304.
meta: state by key; this revision stores the installation id that salts delivery ids
(webhook-id, Message-ID), created once per database here.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frontier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("hints", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_frontier_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier")),
        sa.UniqueConstraint("url_key", name=op.f("uq_frontier_url_key")),
    )
    op.create_index(op.f("ix_frontier_source_id"), "frontier", ["source_id"], unique=False)
    op.create_index(
        op.f("ix_frontier_state"), "frontier", ["state", "next_attempt_at"], unique=False
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.execute(
        sa.text(
            "INSERT INTO meta (key, value, updated_at) "
            "VALUES ('installation_id', :value, CURRENT_TIMESTAMP)"
        ).bindparams(value=uuid.uuid4().hex)
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index(op.f("ix_frontier_state"), table_name="frontier")
    op.drop_index(op.f("ix_frontier_source_id"), table_name="frontier")
    op.drop_table("frontier")
