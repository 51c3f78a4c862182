"""The crawl frontier: every article URL a source listed, until its page is stored.

Invariants (they are why nothing a feed listed can be lost to a crash):

* A source's listing is written here in the transaction that records the source's answer
  (validators, next poll): ``add_entries`` runs inside ``monitor.sources.record_success`` /
  ``record_failure``'s session. So once a conditional GET can answer 304, every entry the
  200 before it listed is a row here.
* A row leaves ``pending`` only in the transaction that settles it: ``mark_done`` in the
  one that stores the article (``monitor.ingest.ingest_document``) or records why the page
  is no article; ``mark_failed`` with its error. A crash in between leaves it pending.
* Crawls take rows with ``claim``: a conditional update pushes ``next_attempt_at`` past a
  lease, so two crawls (or scrapy-redis workers) never take one row at once, and a crawl
  that dies leaves its rows due again when the lease ends. A crawl that closes normally
  ``release``s what it did not settle.

States: ``pending`` (due at ``next_attempt_at``), ``failed`` (a fetch or store failed;
due again at ``next_attempt_at``, after an exponential backoff with jitter), ``done``
(stored, a duplicate, or fetched and found to be no article), ``given_up`` (gone: 404/410
or robots.txt, or failed ``page_attempts`` times; counted by ``banwatch status``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from monitor.config import CrawlerSettings
from monitor.db import insert_ignoring
from monitor.models import Frontier, Source
from monitor.urls import canonical_url


class FrontierState(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    DONE = "done"
    GIVEN_UP = "given_up"


DUE_STATES = (FrontierState.PENDING, FrontierState.FAILED)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Entry:
    """One article link a source listed, with the hints its listing gave."""

    url: str
    title: str | None = None
    published: datetime | None = None
    extra_urls: tuple[str, ...] = ()

    def hints(self) -> dict[str, Any]:
        hints: dict[str, Any] = {}
        if self.title:
            hints["title"] = self.title
        if self.published:
            hints["published"] = self.published.isoformat()
        if self.extra_urls:
            hints["extra_urls"] = list(self.extra_urls)
        return hints


@dataclass(frozen=True, slots=True)
class Claimed:
    """A frontier row a crawl has taken: fetch ``url`` and settle the row by ``id``."""

    id: int
    url: str
    source: str
    kind: str
    token: str  # the claim's moment: a new fingerprint round for a shared Redis queue
    title: str | None = None
    published: datetime | None = None
    extra_urls: tuple[str, ...] = field(default=())


def add_entries(
    session: Session, source_id: int, entries: Iterable[Entry], now: datetime | None = None
) -> int:
    """Write ``entries`` as pending rows of ``source_id`` in the caller's transaction;
    URLs already in the frontier (any state, any source, by canonical form: a tracking
    parameter makes no second row) are left as they are."""
    now = now or datetime.now(UTC)
    keyed = {canonical_url(e.url): e for e in entries}
    rows = [
        {
            "source_id": source_id,
            "url": entry.url,
            "url_key": key,
            "state": FrontierState.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "hints": entry.hints(),
            "created_at": now,
        }
        for key, entry in keyed.items()
    ]
    if rows:
        session.execute(insert_ignoring(session, Frontier.__table__, "url_key"), rows)
    return len(rows)


def known_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """The subset of canonical URL ``keys`` already in the frontier, whatever their state."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        found.update(
            session.scalars(sa.select(Frontier.url_key).where(Frontier.url_key.in_(chunk)))
        )
    return found


def claim(
    session: Session,
    kind: str,
    *,
    lease: float,
    names: Sequence[str] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[Claimed]:
    """Take the due rows of enabled sources of ``kind`` (only ``names``' when given),
    oldest first, for ``lease`` seconds. Commit before fetching: the claim is what keeps
    another crawl off them."""
    now = now or datetime.now(UTC)
    query = (
        sa.select(Frontier.id)
        .join(Source, Source.id == Frontier.source_id)
        .where(
            Source.kind == kind,
            Source.enabled.is_(True),
            Frontier.state.in_([s.value for s in DUE_STATES]),
            Frontier.next_attempt_at <= now,
        )
        .order_by(Frontier.id)
    )
    if names:
        query = query.where(Source.name.in_(list(names)))
    if limit:
        query = query.limit(limit)
    candidates = list(session.scalars(query))
    until = now + timedelta(seconds=lease)
    token = now.isoformat()
    taken: list[Claimed] = []
    for i in range(0, len(candidates), _CHUNK):
        chunk = candidates[i : i + _CHUNK]
        ids = list(
            session.scalars(
                sa.update(Frontier)
                .where(
                    Frontier.id.in_(chunk),
                    Frontier.state.in_([s.value for s in DUE_STATES]),
                    Frontier.next_attempt_at <= now,
                )
                .values(next_attempt_at=until)
                .returning(Frontier.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not ids:
            continue
        rows = session.execute(
            sa.select(Frontier.id, Frontier.url, Frontier.hints, Source.name, Source.kind)
            .join(Source, Source.id == Frontier.source_id)
            .where(Frontier.id.in_(ids))
        )
        for row_id, url, hints, source, source_kind in rows:
            taken.append(_claimed(row_id, url, hints or {}, source, source_kind, token))
    taken.sort(key=lambda c: c.id)
    return taken


def _claimed(
    row_id: int, url: str, hints: dict[str, Any], source: str, kind: str, token: str
) -> Claimed:
    published = hints.get("published")
    return Claimed(
        id=row_id,
        url=url,
        source=source,
        kind=kind,
        token=token,
        title=hints.get("title"),
        published=datetime.fromisoformat(published) if published else None,
        extra_urls=tuple(hints.get("extra_urls") or ()),
    )


def mark_done(
    session: Session, frontier_id: int, *, note: str | None = None, now: datetime | None = None
) -> None:
    """The page is settled for good: stored, a duplicate, or no article (``note`` says
    why). Runs in the transaction that stores the article."""
    session.execute(
        sa.update(Frontier)
        .where(Frontier.id == frontier_id)
        .values(state=FrontierState.DONE.value, done_at=now or datetime.now(UTC), last_error=note)
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    session: Session,
    frontier_id: int,
    error: str,
    crawler: CrawlerSettings,
    *,
    gone: bool = False,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> FrontierState | None:
    """Count a failed fetch or store: retried after a backoff, or given up when the page
    is ``gone`` or has failed ``page_attempts`` times. The row's new state (None: no row)."""
    now = now or datetime.now(UTC)
    row = session.get(Frontier, frontier_id)
    if row is None:
        return None
    row.attempts += 1
    row.last_error = error[:2000]
    if gone or row.attempts >= crawler.page_attempts:
        row.state = FrontierState.GIVEN_UP.value
        row.done_at = now
    else:
        row.state = FrontierState.FAILED.value
        row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts, crawler, rng))
    return FrontierState(row.state)


def retry_delay(attempts: int, crawler: CrawlerSettings, rng: random.Random | None = None) -> float:
    """Seconds before fetching a page again after its ``attempts``-th failure."""
    base = min(crawler.page_retry_max, crawler.page_retry_base * 2.0 ** max(attempts - 1, 0))
    return base * (rng or random).uniform(0.8, 1.2)


def release(session: Session, ids: Iterable[int], now: datetime | None = None) -> int:
    """Make claimed rows that were not settled due now (a crawl closing normally)."""
    now = now or datetime.now(UTC)
    wanted = list(ids)
    released = 0
    for i in range(0, len(wanted), _CHUNK):
        result = session.execute(
            sa.update(Frontier)
            .where(
                Frontier.id.in_(wanted[i : i + _CHUNK]),
                Frontier.state.in_([s.value for s in DUE_STATES]),
                Frontier.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        released += cast("CursorResult[Any]", result).rowcount or 0
    return released


def depth(session: Session) -> dict[str, int]:
    """Rows per state (every state present, zero or not)."""
    counts = {state.value: 0 for state in FrontierState}
    frontier = Frontier.__table__.c  # rows, not ORM objects: ``banwatch status`` reads it
    for state, count in session.execute(
        sa.select(frontier.state, sa.func.count()).group_by(frontier.state)
    ):
        counts[state] = count
    return counts
