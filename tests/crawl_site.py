"""Helpers for the crawl tests: a loopback news site built from the shared corpus, failure
routes, a sealed network, settings files and a way to run ``banwatch`` as the daemon does.

Nothing here talks to anything but 127.0.0.1. Crawls run in child processes (Scrapy's
reactor starts once per process), and their environment sends every non-loopback request
to a proxy on loopback that refuses it, so a link in a corpus feed can never leave the box.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import html
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.conftest import (
    CORPUS,
    REPO,
    SHUTDOWN_POLL,
    LoopbackServer,
    LoopbackSite,
    _make_handler,
)

FEEDS_DIR = CORPUS / "feeds"
ARTICLES_DIR = CORPUS / "articles"

Handler = Callable[[BaseHTTPRequestHandler], None]


# --- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    slug: str  # short, URL-safe name
    path: Path
    original_url: str

    def html(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data


def corpus_pages() -> list[CorpusPage]:
    """The corpus article pages, in MANIFEST order."""
    pages = []
    with (ARTICLES_DIR / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = ARTICLES_DIR / row["file"]
            stem = path.name.split(".")[0]
            folder = row["file"].split("/")[0]
            slug = f"{folder}-{stem[:12]}".lower()
            pages.append(CorpusPage(slug, path, row["article_url"]))
    return pages


def corpus_feeds() -> list[Path]:
    return sorted(p for p in FEEDS_DIR.iterdir() if p.name != "MANIFEST.tsv")


def feed_content_type(path: Path) -> str:
    if path.suffix == ".json":
        return "application/feed+json"
    if path.suffix == ".atom":
        return "application/atom+xml"
    return "application/rss+xml" if path.suffix == ".rss" else "application/xml"


# --- serving ---------------------------------------------------------------------------------


@contextmanager
def serve_loopback() -> Iterator[LoopbackSite]:
    """conftest's ``loopback_site``, for fixtures that outlive one test."""
    server = LoopbackServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    site = LoopbackSite(server)
    server.RequestHandlerClass = _make_handler(site)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Served:
    """Routes with behaviour on top of the conftest ``LoopbackSite`` (which counts hits)."""

    site: LoopbackSite
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.site.url(path)

    def _record(self, path: str, status: int) -> None:
        with self.site.lock:
            self.statuses[(path, status)] += 1

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        self._record(h.path, status)
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def static(
        self,
        path: str,
        body: bytes | str,
        content_type: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body

        def handle(h: BaseHTTPRequestHandler) -> None:
            self._reply(h, status, data, {"Content-Type": content_type, **(headers or {})})

        return self.site.add(path, handle)

    def conditional(
        self,
        path: str,
        body: bytes | str,
        content_type: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """A resource that answers 304 to a matching If-None-Match / If-Modified-Since."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        validators = {"ETag": etag, "Last-Modified": last_modified}
        validators = {k: v for k, v in validators.items() if v}

        def handle(h: BaseHTTPRequestHandler) -> None:
            if (etag and h.headers.get("If-None-Match") == etag) or (
                not etag and last_modified and h.headers.get("If-Modified-Since") == last_modified
            ):
                self._reply(h, 304, b"", validators)
                return
            self._reply(
                h, 200, data, {"Content-Type": content_type, **validators, **(headers or {})}
            )

        return self.site.add(path, handle)

    def slow(self, path: str) -> str:
        """Answers only after ``release`` is set (the test sets it once the crawl is over)."""

        def handle(h: BaseHTTPRequestHandler) -> None:
            self._record(h.path, 0)
            self.release.wait(30)
            with contextlib.suppress(OSError):  # the crawler hung up long ago
                self._reply(h, 200, b"<rss version='2.0'><channel/></rss>", {})

        return self.site.add(path, handle)

    def truncated(self, path: str, body: bytes) -> str:
        """Promises more bytes than it sends, then closes the connection."""

        def handle(h: BaseHTTPRequestHandler) -> None:
            self._record(h.path, 200)
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(len(body) * 3))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            h.close_connection = True

        return self.site.add(path, handle)


# --- settings and running banwatch --------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_settings(
    path: Path,
    db_url: str,
    *,
    crawler: dict[str, Any] | None = None,
    feeds: Iterable[dict[str, Any]] = (),
    sites: Iterable[dict[str, Any]] = (),
    sitemaps: Iterable[dict[str, Any]] = (),
) -> Path:
    """A settings.toml for a loopback crawl: no politeness delays, short timeouts."""
    crawler_keys = {
        "download_delay": 0,
        "autothrottle": False,
        "concurrency_per_domain": 8,
        "timeout": "2s",
        "retries": 1,
        "max_size": 2 * 1024 * 1024,
        "min_interval": "1s",
        "backoff_base": "1m",
        "worker_idle": "1s",
        **(crawler or {}),
    }
    lines = [
        f"[database]\nurl = {toml_value(db_url)}\n",
        "[digest]\nenabled = false\n",
        "[crawler]",
    ]
    lines += [f"{k} = {toml_value(v)}" for k, v in crawler_keys.items()]
    for table, entries in (("feeds", feeds), ("sites", sites), ("sitemaps", sitemaps)):
        for entry in entries:
            lines.append(f"\n[[{table}]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sealed_env(proxy: LoopbackSite, **extra: str) -> dict[str, str]:
    """A child environment in which any non-loopback URL goes to ``proxy`` (which refuses)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANWATCH_")}
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[var] = proxy.base
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def loopback_env() -> dict[str, str]:
    """The child environment without BANWATCH_* settings and without any proxy."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BANWATCH_") and k.lower() not in ("http_proxy", "https_proxy")
    }
    env["no_proxy"] = env["NO_PROXY"] = "*"
    return env


def banwatch(
    config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m monitor.cli --config CONFIG ARGS...``, exactly as the daemon runs crawls."""
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        env=env if env is not None else loopback_env(),
    )


def start_banwatch(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        env=env if env is not None else loopback_env(),
    )


def failure_lines(stderr: str, source: str) -> list[str]:
    """The crawl's 'source failed' log lines that name ``source``."""
    needle = f"source={json.dumps(source) if ' ' in source else source}"
    return [line for line in stderr.splitlines() if "source failed" in line and needle in line]


# --- page and feed makers ------------------------------------------------------------------


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def recent(days: float = 0, hours: float = 0) -> datetime:
    return datetime.now(UTC) - timedelta(days=days, hours=hours)


def rss(items: Iterable[dict[str, str | None]], *, title: str = "wire") -> str:
    body = []
    for item in items:
        parts = [f"<{k}>{html.escape(v)}</{k}>" for k, v in item.items() if v is not None]
        body.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>test</description>"
        + "".join(body)
        + "</channel></rss>"
    )


# --- synthetic articles (neutral news, never an enforcement story) --------------------------

_WORDS = {
    "first": "Anna Marek Lucia Tomas Ingrid Pavel Rosa Jonas Elena Farid Nadia Oskar Vera Milan "
    "Clara Hugo Sofia Emil Irene Karel Lena Bruno Petra Adam Greta Ivan Mira Felix Hana Luka",
    "last": "Novak Berg Costa Lind Moreau Weber Rossi Varga Nilsson Horvat Keller Dubois Silva "
    "Marin Kowal Santos Fischer Olsen Meyer Laine Brandt Kovac Russo Hale Quist Sommer Falk",
    "role": "baker engineer teacher farmer librarian nurse architect fisherman gardener pilot "
    "geologist painter carpenter chemist surveyor potter ranger brewer tailor organist",
    "town": "Ashford Brindle Corrin Dunmore Elstow Farrow Glenrock Hollin Ivybridge Jarrow "
    "Kelso Larkhill Millbay Norwick Oakham Penrith Quarley Rosslare Stowe Tarbert",
    "adj": "quiet steep narrow ancient sunny windy crowded tidy muddy wooden stony leafy "
    "bright misty humble lively sleepy rusty grand modest",
    "thing": "bridge orchard harbour market library chapel meadow tram bakery pier garden "
    "mill tower canal school ferry quarry vineyard lighthouse theatre",
    "verb": "repaired painted measured visited cleaned restored mapped photographed studied "
    "widened lit rebuilt inspected planted opened surveyed counted sketched rowed toured",
    "when": "on Monday|last spring|before dawn|after the harvest|during the fair|at noon|"
    "in early autumn|over the weekend|last winter|on a rainy Thursday",
}
_VOCAB = {k: v.split("|") if "|" in v else v.split() for k, v in _WORDS.items()}


def news_text(seed: int, sentences: int = 16) -> tuple[str, list[str]]:
    """A headline and paragraphs of neutral local news, different for every seed (random
    word choices keep any two texts far apart for the near-duplicate check)."""
    import random

    rng = random.Random(seed)

    def pick(key: str) -> str:
        return rng.choice(_VOCAB[key])

    def sentence() -> str:
        return (
            f"{pick('first')} {pick('last')}, a {pick('adj')} {pick('role')} from {pick('town')}, "
            f"{pick('verb')} the {pick('adj')} {pick('thing')} {pick('when')} with "
            f"{rng.randint(2, 990)} {pick('role')}s from {pick('town')}."
        )

    title = f"{pick('town')} {pick('thing')} {pick('verb')} {pick('when')}"
    body = [" ".join(sentence() for _ in range(4)) for _ in range(max(1, sentences // 4))]
    return title, body


def article_page(seed: int, published: datetime | None = None) -> str:
    """A small article page with a menu, a sidebar and a footer around the story."""
    title, paragraphs = news_text(seed)
    when = (published or recent(hours=seed % 48)).isoformat()
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta property="article:published_time" content="{when}"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/local'>Local</a> <a href='/weather'>Weather</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<aside><h3>Most read</h3><ul><li>Market opens early</li><li>Rain expected</li></ul></aside>"
        "<footer>Copyright The Harbour Gazette</footer></body></html>"
    )
