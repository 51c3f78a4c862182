"""Each source a crawl touches ends in exactly one ``record_success`` or ``record_failure``.

A feed is one request; a site is its start pages plus the pagination pages found on them;
a sitemap is its root plus the child sitemaps of an index. ``SourceOutcomes`` counts the
requests still pending per source and, when the last one is done, records one outcome: a
failure (logged in one line, stored with its error and backoff) if any of them failed,
else a success carrying the validators and wait hints of the source's own URL. Either
outcome carries the article links the source's answers listed (``Entry``): they are written
to the crawl frontier in the transaction that records the outcome, so new validators are
never stored without the entries they cover, and then ``on_recorded`` lets the spider take
them from the frontier and fetch them. Entries of a source with more answers still to come
(a site's other section pages, another worker's share) are written at once in their own
transaction, which keeps that rule: they are committed before any validators.

With shared Redis queues a request may be fetched by another worker, which never saw the
source begin; that worker gathers such answers per source and records them, once, when
its spider closes. When the spider closes, a source with some
answers but requests still pending is recorded from what arrived; one without any answer
(its request went to another worker, or the crawl was stopped first) records nothing and
stays due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from monitor.ingest import Entry, Ingestor

log = logging.getLogger("banwatch.crawl")


@dataclass
class _Pending:
    kind: str
    url: str
    pending: int = 0
    answered: int = 0
    foreign: bool = False  # begun by another worker: recorded at close
    changed: bool = False
    etag: str | None = None
    last_modified: str | None = None
    not_before: float | None = None
    error: str | None = None
    error_url: str | None = None
    retry_after: float | None = None
    entries: list[Entry] = field(default_factory=list)


class SourceOutcomes:
    """Collects per-request results and records one outcome per source."""

    def __init__(
        self,
        ingestor: Ingestor,
        crawler: Crawler,
        on_recorded: Callable[[str], None] | None = None,
    ) -> None:
        self.ingestor = ingestor
        self.crawler = crawler  # its stats exist once the crawl has started
        self.on_recorded = on_recorded  # a source's listing is in the frontier now
        self._open: dict[str, _Pending] = {}

    def begin(self, name: str, kind: str, url: str) -> None:
        """The source's first request is about to be sent."""
        self._open.setdefault(name, _Pending(kind, url)).pending += 1

    def expect(self, name: str, kind: str, url: str) -> None:
        """One more request belongs to ``name`` (a pagination page, a child sitemap)."""
        self.begin(name, kind, url)

    def succeeded(
        self,
        name: str,
        kind: str,
        url: str,
        *,
        changed: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        not_before: float | None = None,
        entries: Iterable[Entry] = (),
    ) -> None:
        state = self._state(name, kind, url)
        listed = list(entries)
        if listed and (state.foreign or state.pending > 1):
            # More answers are to come (or another worker records the source): write these
            # entries now, so they are fetched meanwhile. Still before any validators.
            self.ingestor.add_entries(name, listed)
            if self.on_recorded is not None:
                self.on_recorded(name)
        else:
            state.entries.extend(listed)
        state.changed = state.changed or changed
        state.etag = etag or state.etag
        state.last_modified = last_modified or state.last_modified
        if not_before:
            state.not_before = max(state.not_before or 0.0, not_before)
        self._done(name, state)

    def failed(
        self, name: str, kind: str, url: str, error: str, *, retry_after: float | None = None
    ) -> None:
        state = self._state(name, kind, url)
        if state.error is None:
            state.error, state.error_url, state.retry_after = error, url, retry_after
        self._done(name, state)

    def flush(self) -> None:
        """The spider is closing: record each source that got at least one answer (its
        entries wait in the frontier for the next crawl)."""
        for name in list(self._open):
            state = self._open.pop(name)
            if state.answered:
                self._record(name, state, schedule=False)

    def _state(self, name: str, kind: str, url: str) -> _Pending:
        state = self._open.get(name)
        if state is None:  # a request another worker queued
            state = self._open[name] = _Pending(kind, url, foreign=True)
        return state

    def _done(self, name: str, state: _Pending) -> None:
        state.answered += 1
        state.pending -= 1
        if state.pending <= 0 and not state.foreign:
            del self._open[name]
            self._record(name, state)

    def _record(self, name: str, state: _Pending, *, schedule: bool = True) -> None:
        if state.error is not None:
            self.crawler.stats.inc_value("banwatch/errors")
            self.crawler.stats.inc_value("banwatch/sources_failed")
            log.warning(
                "source failed",
                extra={
                    "source": name,
                    "kind": state.kind,
                    "url": state.error_url or state.url,
                    "error": state.error,
                },
            )
            self.ingestor.record_failure(
                name, state.error, retry_after=state.retry_after, entries=state.entries
            )
        else:
            self.crawler.stats.inc_value("banwatch/sources_ok")
            self.ingestor.record_success(
                name,
                changed=state.changed,
                etag=state.etag,
                last_modified=state.last_modified,
                not_before=state.not_before,
                entries=state.entries,
            )
        if schedule and state.entries and self.on_recorded is not None:
            self.on_recorded(name)
