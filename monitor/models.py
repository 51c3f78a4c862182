"""The ORM classes, mapped onto the Core tables of ``monitor.tables`` (the one place the
schema is written down; Alembic owns the database and tests/test_db.py compares them).

Columns are typed here for mypy (``Mapped[...]``) and mapped from each class's
``__table__``; relationships and properties live only here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from monitor import tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Base(DeclarativeBase):
    metadata = tables.metadata
    if TYPE_CHECKING:
        # Every model here is mapped to one Table (declarative types it as a FromClause).
        __table__: ClassVar[sa.Table]


class Source(Base):
    """A feed, site or sitemap, with its polling state."""

    __table__ = tables.source

    id: Mapped[int]
    kind: Mapped[str]  # feed | site | sitemap
    name: Mapped[str]
    url: Mapped[str]
    interval: Mapped[float]  # configured, seconds
    current_interval: Mapped[float | None]  # adaptive, within crawler bounds
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    next_poll_at: Mapped[datetime | None]
    failures: Mapped[int]
    last_error: Mapped[str | None]
    last_error_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    enabled: Mapped[bool]  # settings.toml still declares it
    # settings | cli | opml: who owns it (settings.toml's are mirrored by sync_sources)
    origin: Mapped[str]
    disabled: Mapped[bool]  # by hand
    category: Mapped[str | None]  # OPML folder
    options: Mapped[dict[str, Any] | None]  # site: article_links

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class Frontier(Base):
    """An article URL a source listed, from the moment the listing is recorded until the
    page is stored (``done``) or given up. Written in the transaction that records the
    source's validators, so no conditional GET can ever hide an entry not yet stored."""

    __table__ = tables.frontier

    id: Mapped[int]
    source_id: Mapped[int]
    url: Mapped[str]  # as listed: what is fetched
    url_key: Mapped[str]  # dedupe.canonical_url
    state: Mapped[str]  # see monitor.frontier
    attempts: Mapped[int]  # failed fetches or stores so far
    next_attempt_at: Mapped[datetime]  # or the claim's end
    last_error: Mapped[str | None]
    hints: Mapped[dict[str, Any]]  # feed title, date, GUID URLs
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Meta(Base):
    """Installation-wide state by key: ``installation_id`` (salts delivery ids),
    ``scheduler`` (who schedules, and its heartbeat in ``updated_at``)."""

    __table__ = tables.meta

    key: Mapped[str]
    value: Mapped[str | None]
    updated_at: Mapped[datetime]


class Article(Base):
    """One stored news article (duplicates collapse onto it; see ArticleUrl)."""

    __table__ = tables.article

    id: Mapped[int]
    url: Mapped[str]
    canonical_url: Mapped[str]
    outlet: Mapped[str | None]
    content_hash: Mapped[str | None]
    # MinHash signature of the text (monitor.dedupe); its LSH bands are in article_band.
    minhash: Mapped[bytes | None]
    title: Mapped[str]
    text: Mapped[str]
    author: Mapped[str | None]
    sitename: Mapped[str | None]
    language: Mapped[str | None]
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    source_id: Mapped[int | None]

    source: Mapped[Source | None] = relationship(back_populates="articles")
    verdicts: Mapped[list[Verdict]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )
    urls: Mapped[list[ArticleUrl]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )


class ArticleUrl(Base):
    """Every URL (and feed GUID) under which an article was seen, canonicalised."""

    __table__ = tables.article_url

    id: Mapped[int]
    article_id: Mapped[int]
    url: Mapped[str]
    outlet: Mapped[str | None]
    seen_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="urls")


class ArticleBand(Base):
    """One LSH band key of an article's MinHash: near-duplicates share at least one."""

    __table__ = tables.article_band

    band: Mapped[int]
    article_id: Mapped[int]


class Verdict(Base):
    """One enforcement action the classifier found in one article."""

    __table__ = tables.verdict

    id: Mapped[int]
    article_id: Mapped[int]
    score: Mapped[float]
    platform: Mapped[str]
    action: Mapped[str]
    target: Mapped[str]
    target_key: Mapped[str]
    scale: Mapped[str | None]
    evidence: Mapped[str]
    rules: Mapped[dict[str, Any]]
    classifier_version: Mapped[str]
    created_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="verdicts")


class Event(Base):
    """One enforcement action: platform + action + target, however many reports."""

    __table__ = tables.event

    id: Mapped[int]
    platform: Mapped[str]
    action: Mapped[str]
    target: Mapped[str]
    target_key: Mapped[str]
    scale: Mapped[str | None]
    status: Mapped[str]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    reversed_at: Mapped[datetime | None]
    article_count: Mapped[int]
    outlet_count: Mapped[int]
    headline: Mapped[str]
    score: Mapped[float]
    evidence: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # User corrections (monitor.corrections): not a ban; folded into another event.
    dismissed_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None]

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

    __table__ = tables.event_target

    event_id: Mapped[int]
    target_key: Mapped[str]
    target: Mapped[str]
    platform: Mapped[str]
    action: Mapped[str]
    position: Mapped[int]

    event: Mapped[Event] = relationship(back_populates="targets")


class EventArticle(Base):
    __table__ = tables.event_article

    event_id: Mapped[int]
    article_id: Mapped[int]
    verdict_id: Mapped[int | None]
    added_at: Mapped[datetime]

    event: Mapped[Event] = relationship(back_populates="links")
    article: Mapped[Article] = relationship()
    verdict: Mapped[Verdict | None] = relationship()


class EventExclusion(Base):
    """An article the user split out of an event: it never joins that event again."""

    __table__ = tables.event_exclusion

    event_id: Mapped[int]
    article_id: Mapped[int]
    created_at: Mapped[datetime]


class Subscription(Base):
    """Who is told what, and how."""

    __table__ = tables.subscription

    id: Mapped[int]
    name: Mapped[str]
    channel: Mapped[str]  # email | webhook | apprise
    address: Mapped[str]
    filters: Mapped[dict[str, Any]]
    mode: Mapped[str]  # instant|digest|both
    secret: Mapped[str | None]
    active: Mapped[bool]
    token: Mapped[str | None]
    from_config: Mapped[bool]
    # Who chose the address: "operator" (settings.toml, the CLI) is trusted by the address
    # policy; "web" (typed into the web form by anyone) must be public, checked at each send.
    origin: Mapped[str]
    disabled_reason: Mapped[str | None]
    muted_until: Mapped[datetime | None]  # nothing is sent, or queued, until then
    created_at: Mapped[datetime]


class Delivery(Base):
    """Outbox row: one alert (or digest) for one subscription, until sent or dead."""

    __table__ = tables.delivery

    id: Mapped[int]
    subscription_id: Mapped[int]
    event_id: Mapped[int | None]
    digest_date: Mapped[date | None]
    kind: Mapped[str]  # event.opened|event.updated|...|digest
    idempotency_key: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None]
    last_result: Mapped[str | None]  # channel's answer, e.g. "http 200"
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    subscription: Mapped[Subscription] = relationship()
    event: Mapped[Event | None] = relationship()


_Named = TypeVar("_Named", Source, Subscription)


def get_named(session: Session, model: type[_Named], name: str, kind: str) -> _Named:
    """The ``model`` row called ``name``; ``ConfigError`` naming the nearest names if
    none is ("source 'Verge': no such source; did you mean 'The Verge'?")."""
    row = session.scalar(sa.select(model).where(model.name == name))
    if row is None:
        import difflib

        from monitor.errors import ConfigError

        names = list(session.scalars(sa.select(model.name)))
        near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
        raise ConfigError(f"{kind} {name!r}: no such {kind}{hint}")
    return row
