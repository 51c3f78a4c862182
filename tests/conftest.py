"""Shared fixtures: real databases, a real HTTP server on loopback, a clean environment.

Service-backed tests are marked ``postgres`` / ``redis``. Without the service's URL in the
environment they skip with a reason; in CI (``BANWATCH_TEST_REQUIRE_SERVICES=1``) such a
skip is turned into a failure, so a missing service can never pass silently.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"

POSTGRES_URL = os.environ.get("BANWATCH_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("BANWATCH_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("BANWATCH_TEST_REQUIRE_SERVICES") == "1"

# SMTP server and webhook receiver fixtures for the alert and digest tests.
pytest_plugins = ["tests.alert_servers"]


def service_skip(reason: str) -> None:
    """Skip on a developer's machine; fail in CI where the service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus sits beside the repo in CI)")
    return path


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own BANWATCH_* settings."""
    for name in list(os.environ):
        if name.startswith("BANWATCH_") and not name.startswith("BANWATCH_TEST_"):
            monkeypatch.delenv(name, raising=False)


# --- databases -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    if not POSTGRES_URL:
        service_skip("PostgreSQL tests need BANWATCH_TEST_POSTGRES_URL")
    import sqlalchemy as sa

    base = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"banwatch_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        service_skip(f"PostgreSQL at {base.render_as_string()} unreachable: {exc}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: a SQLite file, and (when configured) PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'banwatch.db'}"
    url = request.getfixturevalue("postgres_server_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` (SQLite, and PostgreSQL where it runs), migrated to head."""
    from monitor.db import open_database

    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'banwatch.db'}"


@pytest.fixture
def redis_url() -> str:
    """A Redis URL on a database number of its own, flushed before the test."""
    if not REDIS_URL:
        service_skip("Redis tests need BANWATCH_TEST_REDIS_URL")
    from urllib.parse import urlsplit

    import redis

    parts = urlsplit(REDIS_URL)
    url = REDIS_URL if parts.path.strip("/") else f"{parts.scheme}://{parts.netloc}/9"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        service_skip(f"Redis at {url} unreachable: {exc}")
    finally:
        client.close()
    return url


# --- a real HTTP server on loopback ----------------------------------------------------


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class LoopbackSite:
    """A ThreadingHTTPServer on 127.0.0.1 serving registered routes; counts every request."""

    server: ThreadingHTTPServer
    routes: dict[str, tuple[int, dict[str, str], bytes] | Handler] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(
        self,
        path: str,
        body: bytes | str | Handler,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        if callable(body):
            self.routes[path] = body
        else:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.url(path)


def _make_handler(site: LoopbackSite) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = self.path
            with site.lock:
                site.hits[path] += 1
                site.requests.append((path, dict(self.headers)))
            route = site.routes.get(path) or site.routes.get(path.split("?")[0])
            if route is None:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
                return
            if callable(route):
                route(self)
                return
            status, headers, body = route
            self._send(status, headers, body)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

    return _Handler


@pytest.fixture
def loopback_site() -> Iterator[LoopbackSite]:
    yield from _serve("127.0.0.1")


@pytest.fixture
def private_site() -> Iterator[LoopbackSite]:
    """A second server, on 127.0.0.2: it stands for a private host the operator did not
    allow (monitor.net refuses it unless ``[network] allow`` names it)."""
    yield from _serve("127.0.0.2")


class LoopbackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog a crawl cannot overflow: the default 5
    dropped connection attempts when ~50 arrived at once on a loaded machine, and the
    client's SYN retries (1 s, 3 s, 7 s) turned into download timeouts and re-fetches."""

    request_queue_size = 128
    daemon_threads = True


# ``serve_forever`` notices ``shutdown()`` only between polls of its socket: every 0.5 s by
# default, which every test with a loopback server paid in its teardown (up to 0.5 s a
# server; 19 s of the 31 s that test_net, test_explain, test_sources_cli and the alert tests
# took). A twentieth of that costs nothing measurable while serving.
SHUTDOWN_POLL = 0.05


def _serve(host: str) -> Iterator[LoopbackSite]:
    server = LoopbackServer((host, 0), BaseHTTPRequestHandler)
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
