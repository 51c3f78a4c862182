"""SQLAlchemy 2.0 models. Alembic owns the schema (alembic/versions); these mirror it.

source ──< article ──< verdict
  │           │  ├──< article_url, article_band (dedupe keys)
  │           │           │
  │           └──< event_article >── event ──< delivery >── subscription
  │                                    └──< event_target
  └──< frontier (article URLs a source listed, until stored or given up)

meta: one row per key of installation-wide state (installation id, scheduler lease).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
    }
    if TYPE_CHECKING:
        # Every model here is mapped to one Table (declarative types it as a FromClause).
        __table__: ClassVar[sa.Table]


class Source(Base):
    """A feed, site or sitemap, with its polling state."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # feed | site | sitemap
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    url: Mapped[str] = mapped_column(sa.Text)
    interval: Mapped[float] = mapped_column(default=900.0)  # configured, seconds
    current_interval: Mapped[float | None]  # adaptive, within crawler bounds
    etag: Mapped[str | None] = mapped_column(sa.Text)
    last_modified: Mapped[str | None] = mapped_column(sa.Text)
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)  # settings.toml still declares it
    # settings | cli | opml: who owns it (settings.toml's are mirrored by sync_sources)
    origin: Mapped[str] = mapped_column(
        sa.String(16), default="settings", server_default="settings"
    )
    disabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # by hand
    category: Mapped[str | None] = mapped_column(sa.Text)  # OPML folder
    options: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # site: article_links

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class Frontier(Base):
    """An article URL a source listed, from the moment the listing is recorded until the
    page is stored (``done``) or given up. Written in the transaction that records the
    source's validators, so no conditional GET can ever hide an entry not yet stored."""

    __tablename__ = "frontier"
    __table_args__ = (sa.Index(None, "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("source.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.Text)  # as listed: what is fetched
    url_key: Mapped[str] = mapped_column(sa.String(2048), unique=True)  # dedupe.canonical_url
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")  # see monitor.frontier
    attempts: Mapped[int] = mapped_column(default=0)  # failed fetches or stores so far
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)  # or the claim's end
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    hints: Mapped[dict[str, Any]] = mapped_column(default=dict)  # feed title, date, GUID URLs
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class Meta(Base):
    """Installation-wide state by key: ``installation_id`` (salts delivery ids),
    ``scheduler`` (who schedules, and its heartbeat in ``updated_at``)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """One stored news article (duplicates collapse onto it; see ArticleUrl)."""

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.Text)
    canonical_url: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    outlet: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # MinHash signature of the text (monitor.dedupe); its LSH bands are in article_band.
    minhash: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    title: Mapped[str] = mapped_column(sa.Text, default="")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    author: Mapped[str | None] = mapped_column(sa.Text)
    sitename: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[str | None] = mapped_column(sa.String(16))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("source.id", ondelete="SET NULL"))

    source: Mapped[Source | None] = relationship(back_populates="articles")
    verdicts: Mapped[list[Verdict]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )
    urls: Mapped[list[ArticleUrl]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )


class ArticleUrl(Base):
    """Every URL (and feed GUID) under which an article was seen, canonicalised."""

    __tablename__ = "article_url"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    outlet: Mapped[str | None] = mapped_column(sa.String(255))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="urls")


class ArticleBand(Base):
    """One LSH band key of an article's MinHash: near-duplicates share at least one."""

    __tablename__ = "article_band"
    __table_args__ = ({"sqlite_with_rowid": False},)

    band: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Verdict(Base):
    """One enforcement action the classifier found in one article."""

    __tablename__ = "verdict"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float]
    platform: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[str] = mapped_column(sa.Text)
    target_key: Mapped[str] = mapped_column(sa.String(255))
    scale: Mapped[str | None] = mapped_column(sa.String(100))
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    classifier_version: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="verdicts")


class Event(Base):
    """One enforcement action: platform + action + target, however many reports."""

    __tablename__ = "event"
    __table_args__ = (
        sa.Index(None, "platform", "action", "target_key", "last_seen_at"),
        # The scored candidates of a report: newest events of a platform and action.
        sa.Index("ix_event_candidates", "platform", "action", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[str] = mapped_column(sa.Text)
    target_key: Mapped[str] = mapped_column(sa.String(255))
    scale: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(16), default=EventStatus.ACTIVE)
    first_seen_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    reversed_at: Mapped[datetime | None]
    article_count: Mapped[int] = mapped_column(default=0)
    outlet_count: Mapped[int] = mapped_column(default=0)
    headline: Mapped[str] = mapped_column(sa.Text, default="")
    score: Mapped[float] = mapped_column(default=0.0)
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # User corrections (monitor.corrections): not a ban; folded into another event.
    dismissed_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="SET NULL")
    )

    links: Mapped[list[EventArticle]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    targets: Mapped[list[EventTarget]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventTarget.position"
    )

    @property
    def target_names(self) -> list[str]:
        """The display names of every target the ban hit, first target first."""
        return [t.target for t in self.targets] or [self.target]

    @property
    def target_label(self) -> str:
        """``"RT, Sputnik"``."""
        return ", ".join(self.target_names)


class EventTarget(Base):
    """Every target one ban hit: "Twitter bans ads from RT and Sputnik" is one event with
    two targets. ``Event.target`` is the first; a report naming any of them joins the event.
    Platform and action are copied from the event so one index finds the candidates."""

    __tablename__ = "event_target"
    __table_args__ = (sa.Index(None, "platform", "action", "target_key"),)

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    target_key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    target: Mapped[str] = mapped_column(sa.Text)
    platform: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="targets")


class EventArticle(Base):
    __tablename__ = "event_article"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    verdict_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verdict.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="links")
    article: Mapped[Article] = relationship()
    verdict: Mapped[Verdict | None] = relationship()


class EventExclusion(Base):
    """An article the user split out of an event: it never joins that event again."""

    __tablename__ = "event_exclusion"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """Who is told what, and how."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(16))  # email | webhook | apprise
    address: Mapped[str] = mapped_column(sa.Text)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mode: Mapped[str] = mapped_column(sa.String(16), default="instant")  # instant|digest|both
    secret: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    from_config: Mapped[bool] = mapped_column(default=False)
    disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    muted_until: Mapped[datetime | None]  # nothing is sent, or queued, until then
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """Outbox row: one alert (or digest) for one subscription, until sent or dead."""

    __tablename__ = "delivery"
    __table_args__ = (sa.Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscription.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    digest_date: Mapped[date | None] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(32))  # event.opened|event.updated|...|digest
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_result: Mapped[str | None] = mapped_column(sa.Text)  # channel's answer, e.g. "http 200"
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subscription: Mapped[Subscription] = relationship()
    event: Mapped[Event | None] = relationship()
