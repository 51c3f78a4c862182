"""The schema as SQLAlchemy Core tables: the one place it is written down.

Alembic owns the database (alembic/versions); these mirror it, and ``tests/test_db.py``
compares them. The ORM classes of ``monitor.models`` are mapped onto these same ``Table``
objects, so there is one schema source. Read queries that want rows, not objects
(``banwatch events``, ``hits``), use the tables alone: importing them costs a few
milliseconds, the declarative models several times that (bench/cli.py).

source ──< article ──< verdict
  │           │  ├──< article_url, article_band (dedupe keys)
  │           │           │
  │           └──< event_article >── event ──< delivery >── subscription
  │                                    └──< event_target
  └──< frontier (article URLs a source listed, until stored or given up)

meta: one row per key of installation-wide state (installation id, scheduler lease).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from monitor.states import DeliveryStatus, EventStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

Column = sa.Column


def _when(
    name: str,
    *,
    nullable: bool = False,
    default: Callable[[], datetime] | None = None,
    index: bool | None = None,
) -> sa.Column[datetime]:
    """A moment, stored as UTC."""
    return sa.Column(name, UTCDateTime(), nullable=nullable, default=default, index=index)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _event_and_article() -> tuple[sa.Column[int], sa.Column[int]]:
    """The key of a row that ties an article to an event (linked, or split out of it)."""
    return (
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("article.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


# A feed, site or sitemap, with its polling state.
source = sa.Table(
    "source",
    metadata,
    _id(),
    Column("kind", sa.String(16), nullable=False),  # feed | site | sitemap
    Column("name", sa.String(200), nullable=False, unique=True),
    Column("url", sa.Text, nullable=False),
    Column("interval", sa.Double, nullable=False, default=900.0),  # configured, seconds
    Column("current_interval", sa.Double, nullable=True),  # adaptive, within crawler bounds
    Column("etag", sa.Text, nullable=True),
    Column("last_modified", sa.Text, nullable=True),
    _when("next_poll_at", nullable=True, index=True),
    Column("failures", sa.Integer, nullable=False, default=0),
    Column("last_error", sa.Text, nullable=True),
    _when("last_error_at", nullable=True),
    _when("failing_since", nullable=True),
    _when("last_ok_at", nullable=True),
    _when("last_changed_at", nullable=True),
    Column("enabled", sa.Boolean, nullable=False, default=True),  # settings.toml declares it
    # settings | cli | opml: who owns it (settings.toml's are mirrored by sync_sources)
    Column("origin", sa.String(16), nullable=False, default="settings", server_default="settings"),
    Column("disabled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    Column("category", sa.Text, nullable=True),  # OPML folder
    Column("options", sa.JSON, nullable=True),  # site: article_links
)

# An article URL a source listed, from the moment the listing is recorded until the page
# is stored (``done``) or given up. Written in the transaction that records the source's
# validators, so no conditional GET can ever hide an entry not yet stored.
frontier = sa.Table(
    "frontier",
    metadata,
    _id(),
    Column(
        "source_id",
        sa.Integer,
        sa.ForeignKey("source.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("url", sa.Text, nullable=False),  # as listed: what is fetched
    Column("url_key", sa.String(2048), nullable=False, unique=True),  # dedupe.canonical_url
    Column("state", sa.String(16), nullable=False, default="pending"),  # see monitor.frontier
    Column("attempts", sa.Integer, nullable=False, default=0),  # failed fetches or stores
    _when("next_attempt_at", default=utcnow),  # or the claim's end
    Column("last_error", sa.Text, nullable=True),
    Column("hints", sa.JSON, nullable=False, default=dict),  # feed title, date, GUID URLs
    _when("created_at", default=utcnow),
    _when("done_at", nullable=True),
    sa.Index(None, "state", "next_attempt_at"),
)

# Installation-wide state by key: ``installation_id`` (salts delivery ids), ``scheduler``
# (who schedules, and its heartbeat in ``updated_at``).
meta = sa.Table(
    "meta",
    metadata,
    Column("key", sa.String(64), primary_key=True),
    Column("value", sa.Text, nullable=True),
    _when("updated_at", default=utcnow),
)

# One stored news article (duplicates collapse onto it; see article_url).
article = sa.Table(
    "article",
    metadata,
    _id(),
    Column("url", sa.Text, nullable=False),
    Column("canonical_url", sa.String(2048), nullable=False, unique=True),
    Column("outlet", sa.String(255), nullable=True, index=True),
    Column("content_hash", sa.String(64), nullable=True, index=True),
    # MinHash signature of the text (monitor.dedupe); its LSH bands are in article_band.
    Column("minhash", sa.LargeBinary, nullable=True),
    Column("title", sa.Text, nullable=False, default=""),
    Column("text", sa.Text, nullable=False, default=""),
    Column("author", sa.Text, nullable=True),
    Column("sitename", sa.Text, nullable=True),
    Column("language", sa.String(16), nullable=True),
    _when("published_at", nullable=True, index=True),
    _when("fetched_at", default=utcnow, index=True),
    Column("source_id", sa.Integer, sa.ForeignKey("source.id", ondelete="SET NULL"), nullable=True),
)

# Every URL (and feed GUID) under which an article was seen, canonicalised.
article_url = sa.Table(
    "article_url",
    metadata,
    _id(),
    Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("article.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("url", sa.String(2048), nullable=False, unique=True),
    Column("outlet", sa.String(255), nullable=True),
    _when("seen_at", default=utcnow),
)

# One LSH band key of an article's MinHash: near-duplicates share at least one.
article_band = sa.Table(
    "article_band",
    metadata,
    Column("band", sa.BigInteger, primary_key=True, autoincrement=False),
    Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("article.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sqlite_with_rowid=False,
)

# One enforcement action the classifier found in one article.
verdict = sa.Table(
    "verdict",
    metadata,
    _id(),
    Column(
        "article_id",
        sa.Integer,
        sa.ForeignKey("article.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("score", sa.Double, nullable=False),
    Column("platform", sa.String(100), nullable=False),
    Column("action", sa.String(40), nullable=False),
    Column("target", sa.Text, nullable=False),
    Column("target_key", sa.String(255), nullable=False),
    Column("scale", sa.String(100), nullable=True),
    Column("evidence", sa.Text, nullable=False, default=""),
    Column("rules", sa.JSON, nullable=False, default=dict),
    Column("classifier_version", sa.String(40), nullable=False),
    _when("created_at", default=utcnow),
)

# One enforcement action: platform + action + target, however many reports.
event = sa.Table(
    "event",
    metadata,
    _id(),
    Column("platform", sa.String(100), nullable=False),
    Column("action", sa.String(40), nullable=False),
    Column("target", sa.Text, nullable=False),
    Column("target_key", sa.String(255), nullable=False),
    Column("scale", sa.String(100), nullable=True),
    Column("status", sa.String(16), nullable=False, default=EventStatus.ACTIVE),
    _when("first_seen_at", index=True),
    _when("last_seen_at"),
    _when("reversed_at", nullable=True),
    Column("article_count", sa.Integer, nullable=False, default=0),
    Column("outlet_count", sa.Integer, nullable=False, default=0),
    Column("headline", sa.Text, nullable=False, default=""),
    Column("score", sa.Double, nullable=False, default=0.0),
    Column("evidence", sa.Text, nullable=False, default=""),
    _when("created_at", default=utcnow, index=True),
    _when("updated_at", default=utcnow),
    # User corrections (monitor.corrections): not a ban; folded into another event.
    _when("dismissed_at", nullable=True),
    Column(
        "merged_into_id", sa.Integer, sa.ForeignKey("event.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Index(None, "platform", "action", "target_key", "last_seen_at"),
    # The scored candidates of a report: newest events of a platform and action.
    sa.Index("ix_event_candidates", "platform", "action", "last_seen_at"),
)

# Every target one ban hit: "Twitter bans ads from RT and Sputnik" is one event with two
# targets. ``event.target`` is the first; a report naming any of them joins the event.
# Platform and action are copied from the event so one index finds the candidates.
event_target = sa.Table(
    "event_target",
    metadata,
    Column("event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("target_key", sa.String(255), primary_key=True),
    Column("target", sa.Text, nullable=False),
    Column("platform", sa.String(100), nullable=False),
    Column("action", sa.String(40), nullable=False),
    Column("position", sa.Integer, nullable=False, default=0),
    sa.Index(None, "platform", "action", "target_key"),
)

event_article = sa.Table(
    "event_article",
    metadata,
    *_event_and_article(),
    Column(
        "verdict_id", sa.Integer, sa.ForeignKey("verdict.id", ondelete="SET NULL"), nullable=True
    ),
    _when("added_at", default=utcnow),
)

# An article the user split out of an event: it never joins that event again.
event_exclusion = sa.Table(
    "event_exclusion",
    metadata,
    *_event_and_article(),
    _when("created_at", default=utcnow),
)

# Who is told what, and how.
subscription = sa.Table(
    "subscription",
    metadata,
    _id(),
    Column("name", sa.String(200), nullable=False, unique=True),
    Column("channel", sa.String(16), nullable=False),  # email | webhook | apprise
    Column("address", sa.Text, nullable=False),
    Column("filters", sa.JSON, nullable=False, default=dict),
    Column("mode", sa.String(16), nullable=False, default="instant"),  # instant|digest|both
    Column("secret", sa.Text, nullable=True),
    Column("active", sa.Boolean, nullable=False, default=True),
    Column("token", sa.String(64), nullable=True, unique=True),
    Column("from_config", sa.Boolean, nullable=False, default=False),
    # Who chose the address: "operator" (settings.toml, the CLI) is trusted by the address
    # policy; "web" (typed into the web form by anyone) must be public, checked at each send.
    Column("origin", sa.String(16), nullable=False, default="operator", server_default="operator"),
    Column("disabled_reason", sa.Text, nullable=True),
    _when("muted_until", nullable=True),  # nothing is sent, or queued, until then
    _when("created_at", default=utcnow),
)

# Outbox row: one alert (or digest) for one subscription, until sent or dead.
delivery = sa.Table(
    "delivery",
    metadata,
    _id(),
    Column(
        "subscription_id",
        sa.Integer,
        sa.ForeignKey("subscription.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "event_id",
        sa.Integer,
        sa.ForeignKey("event.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    Column("digest_date", sa.Date, nullable=True),
    Column("kind", sa.String(32), nullable=False),  # event.opened|event.updated|...|digest
    Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    Column("status", sa.String(16), nullable=False, default=DeliveryStatus.PENDING),
    Column("attempts", sa.Integer, nullable=False, default=0),
    _when("next_attempt_at", default=utcnow),
    Column("last_error", sa.Text, nullable=True),
    Column("last_result", sa.Text, nullable=True),  # the channel's answer, e.g. "http 200"
    _when("last_attempt_at", nullable=True),
    _when("sent_at", nullable=True),
    _when("created_at", default=utcnow),
    sa.Index(None, "status", "next_attempt_at"),
)
