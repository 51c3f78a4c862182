"""Each source a crawl touches ends in exactly one ``record_success`` or ``record_failure``.

A feed is one request; a site is its start pages plus the pagination pages found on them;
a sitemap is its root plus the child sitemaps of an index. ``SourceOutcomes`` counts the
requests still pending per source and, when the last one is done, records one outcome: a
failure (logged in one line, stored with its error and backoff) if any of them failed,
else a success carrying the validators and wait hints of the source's own URL.

With shared Redis queues a request may be fetched by another worker, which never saw the
source begin; that worker gathers such answers per source and records them, once, when
its spider closes. When the spider closes, a source with some
answers but requests still pending is recorded from what arrived; one without any answer
(its request went to another worker, or the crawl was stopped first) records nothing and
stays due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from monitor.ingest import Ingestor

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


class SourceOutcomes:
    """Collects per-request results and records one outcome per source."""

    def __init__(self, ingestor: Ingestor, crawler: Crawler) -> None:
        self.ingestor = ingestor
        self.crawler = crawler  # its stats exist once the crawl has started
        self._open: dict[str, _Pending] = {}
        self._lost: set[str] = set()  # sources with an article page lost this crawl

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
    ) -> None:
        state = self._state(name, kind, url)
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

    def page_lost(self, name: str) -> None:
        """An article page of ``name`` was not stored but may be next time (a timeout, a
        5xx, a failed store). The source's answer must then leave no validators behind, or
        a 304 would hide the entry for good: a source still open is recorded without them,
        one already recorded has them dropped now."""
        if name in self._lost:
            return
        self._lost.add(name)
        if name not in self._open:
            self._forget_validators(name)

    def flush(self) -> None:
        """The spider is closing: record each source that got at least one answer."""
        for name in list(self._open):
            state = self._open.pop(name)
            if state.answered:
                self._record(name, state)

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

    def _record(self, name: str, state: _Pending) -> None:
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
            self.ingestor.record_failure(name, state.error, retry_after=state.retry_after)
            return
        self.crawler.stats.inc_value("banwatch/sources_ok")
        self.ingestor.record_success(
            name,
            changed=state.changed,
            etag=state.etag,
            last_modified=state.last_modified,
            not_before=state.not_before,
        )
        if name in self._lost:
            self._forget_validators(name)

    def _forget_validators(self, name: str) -> None:
        if self.ingestor.forget_validators(name):
            self.crawler.stats.inc_value("banwatch/sources_refetch")
