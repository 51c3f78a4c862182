"""A loopback news site and a daemon harness for the crash, standby and health tests.

The site serves one RSS feed of ``n`` articles that honours ETag / Last-Modified with 304
(as publishers do), and article pages; every ``ban_every``-th article reports a ban (two
articles per ban, worded apart, so each ban is one event reported twice). Gates let a test
hold the next feed read, the next page fetch or the next webhook in flight, and see that
it is held, so a kill lands exactly there instead of after a blind sleep.

``Daemon`` runs ``banwatch run`` as a real child process in its own session (process
group), logs to files, and is killed like a crash (SIGKILL to the whole group: the daemon
and its crawl child) or stopped like systemd does (SIGTERM to the group).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.conftest import REPO, SHUTDOWN_POLL, LoopbackServer
from tests.crawl_site import article_page, loopback_env, news_text, recent

ETAG = '"site-v1"'
PLATFORMS = [
    ("Twitter", "suspended the account of", "suspends account of"),
    ("YouTube", "removed the channel of", "removes channel of"),
    ("TikTok", "banned from advertising", "bans ads from"),
    ("Telegram", "blocked the channels of", "blocks channels of"),
]
OUTLETS = [
    *("Corrin Herald", "Kelso Courier", "Millbay Post", "Oakham Tribune", "Penrith Ledger"),
    *("Stowe Gazette", "Tarbert Mercury", "Jarrow Clarion", "Elstow Observer"),
    *("Farrow Sentinel", "Glenrock Standard", "Hollin Record"),
]


def ban_page(ban: int, copy: int) -> str:
    """An article reporting ban ``ban``, in one of two wordings (``copy`` 0 or 1)."""
    platform, verb, headline_verb = PLATFORMS[ban % len(PLATFORMS)]
    outlet = OUTLETS[ban % len(OUTLETS)]
    if "advertising" in verb:
        sentence = f"{platform} banned {outlet} from advertising on its platform"
    else:
        sentence = f"{platform} {verb} {outlet}"
    title = f"{platform} {headline_verb} {outlet}"
    if copy == 0:
        body = [
            f"{sentence} on Tuesday, saying the outlet broke its rules on manipulation.",
            f"The publisher of {outlet} said it would appeal the decision this week.",
            "Media lawyers said the case could take months to resolve in court.",
        ]
    else:
        title = f"{title}, citing spam rules"
        body = [
            f"In a statement released late on Tuesday, {sentence}.",
            f"Editors at {outlet} called the move unfair and asked readers to follow them elsewhere.",
            "Several press freedom groups criticised the lack of a warning before the action.",
        ]
    # Local news of its own after the report, so no two pages are near-duplicates.
    body += news_text(50_000 + ban * 2 + copy, sentences=8)[1]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    when = recent(hours=1 + ban).isoformat()
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta property="article:published_time" content="{when}"></head><body>'
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
    )


@dataclass
class Gate:
    """Holds the next request that reaches it (once armed) until released."""

    armed: bool = False
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self) -> None:
        with self.lock:
            self.entered.clear()
            self.release.clear()
            self.armed = True

    def pass_through(self) -> None:
        """Called by a handler: block here if armed (the first request only)."""
        with self.lock:
            hold, self.armed = self.armed, False
        if hold:
            self.entered.set()
            self.release.wait(60)

    def open(self) -> None:
        with self.lock:
            self.armed = False
        self.release.set()


@dataclass
class NewsSite:
    server: ThreadingHTTPServer
    n: int
    ban_every: int
    feed_gate: Gate = field(default_factory=Gate)
    page_gate: Gate = field(default_factory=Gate)
    feed_reads: list[int] = field(default_factory=list)  # status of each feed answer
    page_hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def bans(self) -> int:
        return len([i for i in range(self.n) if i % self.ban_every == 0]) // 2

    def page(self, i: int) -> bytes:
        if i % self.ban_every == 0:
            ordinal = i // self.ban_every
            return ban_page(ordinal // 2, ordinal % 2).encode()
        return article_page(10_000 + i, recent(hours=1 + i % 40)).encode()


def serve_news_site(n: int = 160, ban_every: int = 8) -> NewsSite:
    server = LoopbackServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    site = NewsSite(server, n, ban_every)
    modified = format_datetime(recent(hours=1), usegmt=True)
    items = "".join(
        f"<item><title>story {i}</title><link>{site.base}/a/{i}.html</link>"
        f"<guid>{site.base}/a/{i}.html</guid></item>"
        for i in range(n)
    )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>wire</title>'
        f"<link>{site.base}/</link><description>t</description>{items}</channel></rss>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/feed.xml":
                site.feed_gate.pass_through()
                fresh = (
                    self.headers.get("If-None-Match") == ETAG
                    or self.headers.get("If-Modified-Since") == modified
                )
                with site.lock:
                    site.feed_reads.append(304 if fresh else 200)
                body = b"" if fresh else feed
                self._send(304 if fresh else 200, "application/rss+xml", body, modified)
                return
            if self.path.startswith("/a/") and self.path.endswith(".html"):
                site.page_gate.pass_through()
                with site.lock:
                    site.page_hits[self.path] = site.page_hits.get(self.path, 0) + 1
                index = int(self.path[3:-5])
                if 0 <= index < site.n:
                    self._send(200, "text/html; charset=utf-8", site.page(index))
                    return
            self._send(404, "text/plain", b"not found")

        def _send(
            self, status: int, content_type: str, body: bytes, modified: str | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if modified:
                self.send_header("ETag", ETAG)
                self.send_header("Last-Modified", modified)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    server.handle_error = _quiet  # type: ignore[method-assign]  # a killed client resets
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True
    ).start()
    return site


@dataclass
class Receiver:
    """A webhook receiver that records every webhook-id and can hold the next POST."""

    server: ThreadingHTTPServer
    gate: Gate = field(default_factory=Gate)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, webhook-id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def ids(self, path: str) -> list[str]:
        with self.lock:
            return [i for p, i in self.seen if p == path]


def serve_receiver() -> Receiver:
    server = LoopbackServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(server)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.seen.append((self.path, self.headers.get("webhook-id", "")))
            receiver.gate.pass_through()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    server.handle_error = _quiet  # type: ignore[method-assign]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True
    ).start()
    return receiver


def _quiet(request: object, client_address: object) -> None:
    """A daemon killed mid-request resets its connection: expected here, not an error."""


SECRET = "whsec_" + base64.b64encode(b"crash-test-signing-secret-32byte").decode()


def write_config(
    folder: Path,
    db_url: str,
    site: NewsSite,
    hook: str | None = None,
    *,
    extra: str = "",
    feed_url: str | None = None,
    crawler: str = "",
) -> Path:
    """settings.toml for a daemon that polls ``site`` (or ``feed_url``) every second."""
    feed_url = feed_url or f"{site.base}/feed.xml"
    text = f"""
[database]
url = {json.dumps(db_url)}

[digest]
enabled = false

[crawler]
obey_robots = false
download_delay = 0
autothrottle = false
timeout = "10s"
retries = 1
concurrency_per_domain = 4
min_interval = "1s"
tick = "1s"
frontier_lease = "3s"
page_retry_base = "1s"
{crawler}
[schedule]
dispatch_interval = "1s"

[alerts]
timeout = "2s"

[[feeds]]
name = "wire"
url = "{feed_url}"
interval = "1s"
"""
    if hook:
        text += f"""
[[subscriptions]]
name = "hook"
channel = "webhook"
address = "{hook}"
secret_env = "CRASH_HOOK_SECRET"
"""
    path = folder / "settings.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def daemon_env() -> dict[str, str]:
    return {**loopback_env(), "CRASH_HOOK_SECRET": SECRET}


class Daemon:
    """``banwatch run`` as a child process in a session of its own."""

    def __init__(self, config: Path, *args: str, name: str = "daemon") -> None:
        self.config = config
        self.out = config.parent / f"{name}.out"
        self.err = config.parent / f"{name}.err"
        with self.out.open("ab") as out, self.err.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "--config", str(config), "run", *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                env=daemon_env(),
                start_new_session=True,
            )

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def errors(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def crash(self) -> None:
        """SIGKILL the daemon and its crawl child at once (a reboot, an OOM kill of all)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout: float = 30) -> tuple[int, float]:
        """SIGTERM to the group, as systemd does: (exit status, seconds to exit)."""
        started = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def alive(self) -> bool:
        return self.proc.poll() is None


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, poll: float = 0.1) -> Any:
    """Await a state another process reaches (polling what it writes), up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Db:
    """Read what the daemon wrote."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def scalar(self, sql: str) -> Any:
        try:
            with self.engine.connect() as conn:
                return conn.scalar(sa.text(sql))
        except sa.exc.OperationalError:
            return None  # not migrated yet, or locked for a moment
        except sa.exc.ProgrammingError:
            return None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]

    def articles(self) -> int:
        return self.scalar("SELECT count(*) FROM article") or 0

    def close(self) -> None:
        self.engine.dispose()
