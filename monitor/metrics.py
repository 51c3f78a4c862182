"""``banwatch run --http HOST:PORT``: ``/healthz`` and ``/metrics`` (Prometheus text format).

Where each number comes from, and why: crawls run in child processes that live for one
crawl, so counters kept inside them would die with them. Two sources instead:

* what each crawl child reports when it ends (its ``crawl --json`` counts), added to
  counters in the daemon, and what each dispatch pass returns (the dispatcher runs in the
  daemon): pages fetched, articles stored, duplicates, verdicts, events opened / updated /
  reversed, deliveries sent / retried / dead, crawl durations. They start at zero when the
  daemon starts, as Prometheus counters may; a child killed mid-crawl reports nothing, but
  its work is in the database and shows in the gauges below.
* the database, read at each scrape: articles, events by status, deliveries by status,
  frontier depth by state, each source's failures and last successful poll, and the
  scheduler's heartbeat. They are right whichever process did the work, and survive
  restarts.

``/healthz`` answers 200 ``{"status": "ok"}`` or 503 with the reasons of
``monitor.health.check``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from monitor import frontier, health, meta
from monitor.config import Settings
from monitor.db import session_scope
from monitor.errors import BanwatchError
from monitor.models import Article, Delivery, Event, Source

log = logging.getLogger("banwatch.scheduler")

CRAWL_COUNTS = {  # crawl --json key -> metric name, help
    "fetched": ("banwatch_pages_fetched", "Responses with a body (feeds, sections, articles)."),
    "stored": ("banwatch_articles_stored", "New articles stored."),
    "duplicates": ("banwatch_duplicates", "Pages found to be copies of stored articles."),
    "dropped": ("banwatch_pages_dropped", "Pages fetched that were no article."),
    "errors": ("banwatch_crawl_errors", "Failed sources and article pages."),
    "not_modified": ("banwatch_not_modified", "Sources that answered 304."),
    "hits": ("banwatch_verdicts", "Verdicts on new articles."),
    "events_opened": ("banwatch_events_opened", "Events opened."),
    "events_updated": ("banwatch_events_updated", "Events updated by another report."),
    "events_reversed": ("banwatch_events_reversed", "Events reversed (ban lifted)."),
    "sources_failed": ("banwatch_source_failures", "Source polls that failed."),
}


class Reporting(Protocol):
    """What the daemon offers (``monitor.scheduler.Daemon``): report hooks and its engine."""

    engine: Engine
    settings: Settings
    crawl_reports: list[Callable[[Any], None]]
    dispatch_reports: list[Callable[[Any], None]]


class DaemonMetrics:
    """The daemon's registry: counters fed by reports, gauges read from the database."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.counts = {
            key: Counter(name, text, registry=self.registry)
            for key, (name, text) in CRAWL_COUNTS.items()
        }
        self.crawls = Counter(
            "banwatch_crawls", "Crawls run, by kind and outcome.", ["kind", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.duration = Histogram(
            "banwatch_crawl_duration_seconds",
            "Wall time of one crawl child, by kind.",
            ["kind"],
            buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
            registry=self.registry,
        )
        self.deliveries = Counter(
            "banwatch_deliveries", "Delivery attempts by result (sent, retried, dead).",
            ["result"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(DatabaseCollector(engine, settings))

    def crawl_done(self, outcome: Any) -> None:
        self.crawls.labels(outcome.kind, "ok" if outcome.ok else "failed").inc()
        self.duration.labels(outcome.kind).observe(outcome.seconds)
        for key, counter in self.counts.items():
            value = outcome.counts.get(key) or 0
            if value:
                counter.inc(value)

    def dispatched(self, stats: Any) -> None:
        for result, value in (
            ("sent", stats.sent),
            ("retried", stats.retrying),
            ("dead", stats.dead),
        ):
            if value:
                self.deliveries.labels(result).inc(value)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Gauges read from the database at each scrape."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def describe(self) -> list[Any]:
        return []  # read at scrape time only

    def collect(self) -> Iterator[Any]:
        try:
            yield from self._collect()
        except BanwatchError as exc:
            log.error("metrics: database unreadable", extra={"error": str(exc)})

    def _collect(self) -> Iterator[Any]:
        with session_scope(self.engine) as session:
            articles = session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0
            events = dict(session.execute(sa.select(Event.status, sa.func.count()).group_by(Event.status)).all())  # fmt: skip
            deliveries = dict(session.execute(sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)).all())  # fmt: skip
            depth = frontier.depth(session)
            sources = list(session.scalars(sa.select(Source).where(Source.enabled.is_(True))))
            beat = meta.heartbeat(session)
        yield _gauge("banwatch_articles", "Articles in the database.", articles)
        family = GaugeMetricFamily("banwatch_events", "Events by status.", labels=["status"])
        for status in ("active", "reversed", *sorted(set(events) - {"active", "reversed"})):
            family.add_metric([status], events.get(status, 0))
        yield family
        family = GaugeMetricFamily("banwatch_outbox", "Deliveries by status.", labels=["status"])
        for status in ("pending", "sent", "dead"):
            family.add_metric([status], deliveries.get(status, 0))
        yield family
        family = GaugeMetricFamily(
            "banwatch_frontier_pages", "Crawl frontier rows by state.", labels=["state"]
        )
        for state, count in depth.items():
            family.add_metric([state], count)
        yield family
        failures = GaugeMetricFamily(
            "banwatch_source_consecutive_failures", "Failed polls since the last success.",
            labels=["source"],
        )  # fmt: skip
        last_ok = GaugeMetricFamily(
            "banwatch_source_last_success_timestamp_seconds",
            "When the source was last polled successfully (0: never).",
            labels=["source"],
        )
        for src in sources:
            failures.add_metric([src.name], src.failures)
            last_ok.add_metric([src.name], src.last_ok_at.timestamp() if src.last_ok_at else 0)
        yield failures
        yield last_ok
        yield _gauge(
            "banwatch_scheduler_heartbeat_timestamp_seconds",
            "The active scheduler's last heartbeat (0: none).",
            beat.at.timestamp() if beat.at and beat.holder else 0,
        )


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text)
    family.add_metric([], value)
    return family


def serve_health(daemon: Reporting, address: str) -> ThreadingHTTPServer:
    """Serve ``/healthz`` and ``/metrics`` on ``address`` (HOST:PORT) from a thread."""
    metrics = DaemonMetrics(daemon.engine, daemon.settings)
    daemon.crawl_reports.append(metrics.crawl_done)
    daemon.dispatch_reports.append(metrics.dispatched)
    host, _, port = address.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            log.debug("http", extra={"request": format % args})

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/metrics":
                body = metrics.render()
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", body)
            elif path == "/healthz":
                try:
                    with session_scope(daemon.engine) as session:
                        verdict = health.check(session, daemon.settings)
                    payload, status = verdict.as_json(), 200 if verdict.ok else 503
                except BanwatchError as exc:
                    payload = {"status": "unhealthy", "reasons": [str(exc)]}
                    status = 503
                self._send(status, "application/json", json.dumps(payload).encode())
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        server = ThreadingHTTPServer((host.strip("[]"), int(port)), Handler)
    except OSError as exc:
        raise BanwatchError(f"--http {address}: cannot listen: {exc}") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("serving /healthz and /metrics", extra={"address": address})
    return server
