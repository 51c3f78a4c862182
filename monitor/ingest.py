"""The one way an extracted article becomes stored rows.

``ingest_document`` runs inside one transaction: it stores the article (or records the new
URL of a duplicate), classifies it, stores the verdicts, attaches each verdict to its event
(opening, updating or reversing it) and writes the outbox rows for the alerts those event
changes call for. A crash anywhere leaves either all of it or none of it. It takes the
ingest lock first (``monitor.db.lock_for_ingest``), so crawl workers storing at the same
moment never both store one story or both open one event.

The crawl frontier's row for the page (``frontier_id``) is marked done in that same
transaction: a page is either stored and settled, or neither, so a crawl killed at any
moment leaves the page to be fetched again (``monitor.frontier``).

``Ingestor`` wraps that for the crawler: it owns the engine and the lexicon, and gives the
spiders the few source-state and frontier calls they need, so ``crawler`` imports only this
module and ``monitor.config``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from monitor import dedupe, events, frontier, sources
from monitor.alerts.outbox import enqueue_event_alerts
from monitor.classify import CLASSIFIER_VERSION, Lexicon, classify, load_lexicon
from monitor.classify.types import Verdict
from monitor.config import Settings
from monitor.db import insert_ignoring, lock_for_ingest, open_database, session_scope
from monitor.errors import AddressRefused, BanwatchError, ParseError
from monitor.extract import Document, extract_document
from monitor.frontier import Claimed, Entry, FrontierState
from monitor.masking import mask_url
from monitor.models import Article, ArticleUrl, Source
from monitor.models import Verdict as VerdictRow
from monitor.net import AddressPolicy, literal_ip, normal_host
from monitor.sanitize import clean_text

# crawler imports only this module and monitor.config: what it needs of the rest is here.
__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "BanwatchError",
    "Claimed",
    "Document",
    "Entry",
    "FrontierState",
    "IngestResult",
    "Ingestor",
    "ParseError",
    "clean_text",
    "enqueue_alerts",
    "extract_document",
    "ingest_document",
    "literal_ip",
    "mask_url",
    "normal_host",
]


@dataclass(slots=True)
class IngestResult:
    """What one call of ``ingest_document`` did."""

    status: str  # "new" | "duplicate"
    article_id: int
    verdicts: list[Verdict] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reversed: list[int] = field(default_factory=list)
    # Every event the article reports (for a duplicate: the stored copy's), verdict order,
    # and those of them whose lifting (not the ban itself) it reports.
    events: list[int] = field(default_factory=list)
    reversal_of: list[int] = field(default_factory=list)

    @property
    def event_ids(self) -> list[int]:
        return [*self.opened, *self.updated, *self.reversed]

    @property
    def group_key(self) -> str | None:
        """The group ``banwatch eval`` puts this item in: its first event. A report of a
        ban being lifted is one event with the ban's reports (status reversed) but its own
        change and alert, so it is grouped apart from them: ``"12:reversal"``."""
        if not self.events:
            return None
        first = self.events[0]
        return f"{first}:reversal" if first in self.reversal_of else str(first)


def ingest_document(
    session: Session,
    doc: Document,
    settings: Settings,
    lexicon: Lexicon,
    *,
    source_id: int | None = None,
    frontier_id: int | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store, classify and cluster one article in the caller's transaction.

    A duplicate (same URL, same text or near-identical text, see ``monitor.dedupe``) is not
    stored again: its URLs are recorded on the stored copy, whose events count the new
    outlet. A new article is stored with its dedupe keys, classified, and each verdict is
    attached to its event (``monitor.events``) and the alerts its event changes call for
    are enqueued (``enqueue_alerts``). Either way the page's frontier row (``frontier_id``)
    is settled as done in the same transaction.
    """
    now = now or datetime.now(UTC)
    urls = _candidate_urls(doc)
    fingerprint = dedupe.Fingerprint.of(doc.text)
    lock_for_ingest(session)  # from here to commit, no other worker decides what is new
    if frontier_id is not None:
        frontier.mark_done(session, frontier_id, now=now)
    duplicate = dedupe.find_duplicate(session, urls=urls, fingerprint=fingerprint)
    if duplicate is not None:
        _record_urls(session, duplicate.article_id, urls, now)
        result = IngestResult("duplicate", duplicate.article_id)
        for event in events.events_of_article(session, duplicate.article_id):
            events.refresh_counts(session, event)
            result.events.append(event.id)
        result.reversal_of = events.reversals_reported(session, duplicate.article_id)
        return result

    # Core inserts, not ORM objects: every article takes this path, and the unit of work
    # costs several times the statements it runs (bench/crawl.py). The ORM object is
    # loaded only for the few articles with verdicts, which open and update events.
    article_id = session.execute(
        _INSERT_ARTICLE,
        {
            "url": doc.url,
            "canonical_url": urls[0],
            "outlet": dedupe.outlet_of_key(urls[0]),
            "content_hash": fingerprint.content_hash,
            "minhash": dedupe.signature_bytes(fingerprint.signature),
            "title": doc.title,
            "text": doc.text,
            "author": doc.author,
            "sitename": doc.sitename,
            "language": doc.language,
            "published_at": doc.published_at,
            "fetched_at": doc.fetched_at or now,
            "source_id": source_id,
        },
    ).scalar_one()
    dedupe.store_bands(session, article_id, fingerprint)
    _record_urls(session, article_id, urls, now)

    result = IngestResult("new", article_id)
    rows = []
    for verdict in classify(doc.title, doc.text, lexicon):
        result.verdicts.append(verdict)
        rows.append(
            VerdictRow(
                article_id=article_id,
                score=verdict.score,
                platform=verdict.platform,
                action=verdict.action,
                target=verdict.target,
                target_key=verdict.target_key,
                scale=verdict.scale,
                evidence=verdict.evidence,
                rules={"rules": list(verdict.rules), "spans": [list(s) for s in verdict.spans]},
                classifier_version=CLASSIFIER_VERSION,
            )
        )
    if rows:
        session.add_all(rows)
        session.flush()
        seen_at, uncertainty = doc.report_time(now)
        article = session.get_one(Article, article_id)
        changes = events.attach_verdicts(
            session, settings, article, rows, seen_at, uncertainty=uncertainty
        )
        enqueue_alerts(session, settings, changes)
        result.opened, result.updated, result.reversed, result.events = (
            changes.opened,
            changes.updated,
            changes.reversed,
            changes.events,
        )
        result.reversal_of = events.reversals_reported(session, article_id)
    return result


def enqueue_alerts(session: Session, settings: Settings, changes: events.Changes) -> None:
    """The outbox rows for what an article changed, in the caller's transaction."""
    for change in changes.changed:
        enqueue_event_alerts(session, change.event, change.kind, settings)


def _candidate_urls(doc: Document) -> list[str]:
    """Canonical keys of every URL the document is known by; the first is its own key
    (the page's rel=canonical when it names one)."""
    raw = [dedupe.usable_rel_canonical(doc.url, doc.canonical_url), doc.url, *doc.extra_urls]
    seen: dict[str, None] = {}
    for url in raw:
        if url and url.startswith(("http://", "https://")):
            seen.setdefault(dedupe.canonical_url(url), None)
    if not seen:
        seen[doc.url] = None
    return list(seen)


def _record_urls(session: Session, article_id: int, urls: Iterable[str], now: datetime) -> None:
    """Record every URL of one copy; URLs already recorded (on this or another copy) stay
    as they are. Only the copy's own key (the first, its rel=canonical when it has one)
    names an outlet: the feed link or a mirror that pointed at it did not publish the
    story, so it must not count as another outlet reporting it."""
    rows = [
        {
            "article_id": article_id,
            "url": url,
            "outlet": dedupe.outlet_of_key(url) if position == 0 else None,
            "seen_at": now,
        }
        for position, url in enumerate(urls)
    ]
    session.execute(insert_ignoring(session, ArticleUrl.__table__, "url"), rows)


_INSERT_ARTICLE = sa.insert(Article.__table__).returning(Article.__table__.c.id)


class Ingestor:
    """The crawler's handle on banwatch: source state in, articles in, one call each.

    Each method is its own short transaction, so a crawl that dies mid-way keeps every
    article and every source state it recorded before.
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or open_database(settings.database.url)
        self.lexicon = load_lexicon(settings.classifier)
        self._source_ids: dict[str, int] = {}  # a crawl stores hundreds of pages per source

    def sync_sources(self) -> None:
        with session_scope(self.engine) as session:
            sources.sync_sources(session, self.settings)

    def due_sources(self, kind: str, names: list[str] | None = None) -> list[sources.SourceState]:
        with session_scope(self.engine) as session:
            return sources.due_sources(session, kind, names=names)

    def record_success(
        self,
        name: str,
        *,
        changed: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        not_before: float | None = None,
        entries: Iterable[Entry] = (),
        drop_validators: bool = False,
    ) -> None:
        """The source answered: its validators and the ``entries`` it listed, together
        (``drop_validators``: forget the stored ones, the listing was not taken in full)."""
        with session_scope(self.engine) as session:
            sources.record_success(
                session,
                name,
                self.settings.crawler,
                changed=changed,
                etag=etag,
                last_modified=last_modified,
                not_before=not_before,
                entries=entries,
                drop_validators=drop_validators,
            )

    def note_error(self, name: str, error: str) -> None:
        """Keep ``error`` as ``name``'s last error without counting a failed poll (an entry
        the address policy refused: the source itself answered)."""
        with session_scope(self.engine) as session:
            sources.note_error(session, name, error)

    def record_failure(
        self,
        name: str,
        error: str,
        *,
        retry_after: float | None = None,
        entries: Iterable[Entry] = (),
    ) -> None:
        with session_scope(self.engine) as session:
            sources.record_failure(
                session,
                name,
                self.settings.crawler,
                error,
                retry_after=retry_after,
                entries=entries,
            )

    def add_entries(self, name: str, entries: Iterable[Entry]) -> None:
        """Write part of a source's listing before its outcome (more answers to come)."""
        source_id = self.source_id(name)
        if source_id is None:
            return
        with session_scope(self.engine) as session:
            frontier.add_entries(session, source_id, entries)

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of ``urls`` (raw) already stored under their canonical form, or
        already in the frontier (waiting, fetched and found no article, or given up)."""
        by_key: dict[str, list[str]] = {}
        for url in urls:
            if url:
                by_key.setdefault(dedupe.canonical_url(url), []).append(url)
        if not by_key:
            return set()
        known: set[str] = set()
        keys = list(by_key)
        with session_scope(self.engine) as session:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                known.update(
                    session.scalars(sa.select(ArticleUrl.url).where(ArticleUrl.url.in_(chunk)))
                )
            known |= frontier.known_keys(session, keys)
        return {url for key in known for url in by_key[key]}

    # --- the crawl frontier --------------------------------------------------------------

    def claim_pages(self, kind: str, names: list[str] | None = None) -> list[Claimed]:
        """Take the due frontier rows of ``kind``'s sources (``names`` only, if given)."""
        with session_scope(self.engine) as session:
            return frontier.claim(
                session, kind, lease=self.settings.crawler.frontier_lease, names=names
            )

    def page_settled(self, frontier_id: int, note: str) -> None:
        """The page was fetched and is no article (``note`` says why): done, not retried."""
        with session_scope(self.engine) as session:
            frontier.mark_done(session, frontier_id, note=note)

    def page_failed(self, frontier_id: int, error: str, *, gone: bool = False) -> FrontierState:
        """The page failed: retried later, or given up (``gone``, or too many attempts)."""
        with session_scope(self.engine) as session:
            state = frontier.mark_failed(
                session, frontier_id, error, self.settings.crawler, gone=gone
            )
        return state or FrontierState.GIVEN_UP

    def release_pages(self, ids: Iterable[int]) -> int:
        """Claimed rows this crawl did not settle are due again at once."""
        with session_scope(self.engine) as session:
            return frontier.release(session, ids)

    def source_id(self, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self._source_ids:
            with session_scope(self.engine) as session:
                found = session.scalar(sa.select(Source.id).where(Source.name == name))
            if found is None:
                return None
            self._source_ids[name] = found
        return self._source_ids[name]

    def ingest(
        self, doc: Document, *, source_name: str | None = None, frontier_id: int | None = None
    ) -> IngestResult:
        source_id = self.source_id(source_name)
        with session_scope(self.engine) as session:
            return ingest_document(
                session,
                doc,
                self.settings,
                self.lexicon,
                source_id=source_id,
                frontier_id=frontier_id,
            )

    def close(self) -> None:
        self.engine.dispose()
