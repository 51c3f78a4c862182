"""events with several targets; MinHash LSH bands replace the SimHash band columns

An event is one ban, which may hit several targets ("Twitter bans ads from RT and
Sputnik"): event_target lists them (backfilled from each event's own target). Near-duplicate
lookup moves from four 16-bit SimHash band columns on article to MinHash LSH band keys in
article_band (see monitor/dedupe.py for the measurements behind the change). Articles
stored before this revision keep their URL and content-hash keys; they get no bands.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_target",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=255), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_target_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "target_key", name=op.f("pk_event_target")),
    )
    op.create_index(
        op.f("ix_event_target_platform"),
        "event_target",
        ["platform", "action", "target_key"],
        unique=False,
    )
    op.execute(
        "INSERT INTO event_target (event_id, target_key, target, platform, action, position) "
        "SELECT id, target_key, target, platform, action, 0 FROM event"
    )

    op.create_table(
        "article_band",
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_band_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "article_id", name=op.f("pk_article_band")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_article_band_article_id"), "article_band", ["article_id"], unique=False
    )

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minhash", sa.LargeBinary(), nullable=True))
        for band in range(4):
            batch_op.drop_index(batch_op.f(f"ix_article_fp_band{band}"))
        for band in range(4):
            batch_op.drop_column(f"fp_band{band}")
        batch_op.drop_column("fingerprint")


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.BigInteger(), nullable=True))
        for band in range(4):
            batch_op.add_column(sa.Column(f"fp_band{band}", sa.Integer(), nullable=True))
        for band in range(4):
            batch_op.create_index(batch_op.f(f"ix_article_fp_band{band}"), [f"fp_band{band}"])
        batch_op.drop_column("minhash")
    op.drop_index(op.f("ix_article_band_article_id"), table_name="article_band")
    op.drop_table("article_band")
    op.drop_index(op.f("ix_event_target_platform"), table_name="event_target")
    op.drop_table("event_target")
