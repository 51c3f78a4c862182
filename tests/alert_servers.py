"""Fixtures for the alert tests: an SMTP server (aiosmtpd) and a webhook receiver on
127.0.0.1, plus helpers that build events and settings without the classifier.

Loaded through ``pytest_plugins`` in conftest.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from monitor.config import Settings, settings_from_dict
from monitor.models import Article, ArticleUrl, Event, EventArticle, EventTarget, Verdict
from tests.conftest import SHUTDOWN_POLL

# --- SMTP ------------------------------------------------------------------------------


# The fields of one event in `banwatch events --json`, the webhook body and /api/events
# (the contract in ../shared/DESIGN.md).
EVENT_KEYS = frozenset(
    {
        "id",
        "platform",
        "action",
        "target",
        "status",
        "article_count",
        "outlet_count",
        "first_seen",
        "last_seen",
        "headline",
        "urls",
    }
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    """An aiosmtpd Controller on 127.0.0.1 that keeps every message it accepts."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                mail = message_from_bytes(envelope.content, policy=policy.default)
                server.messages.append(mail)  # type: ignore[arg-type]
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server; ``stop()``/``start()`` take it down and bring it back."""
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- webhooks --------------------------------------------------------------------------


def standard_webhooks_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks spec (not banwatch's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.removeprefix("v1,"), expected)
        for sig in headers.get("webhook-signature", "").split()
    )


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every POST; answers with ``statuses`` in turn, then ``default``."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = WebhookReceiver(server)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.received.append(Received(headers, body, self.path))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# --- data ------------------------------------------------------------------------------


def make_settings(tmp_path: Path, **sections: Any) -> Settings:
    """Settings for a test: Maildir under tmp_path unless [smtp] says otherwise."""
    data: dict[str, Any] = {"smtp": {"maildir": str(tmp_path / "mail")}}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return settings_from_dict(data, {})


def smtp_section(server: SmtpServer, tmp_path: Path) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": server.port,
        "starttls": False,
        "timeout": 5,
        "from": "banwatch@example.org",
        "maildir": str(tmp_path / "mail"),
    }


def make_event(
    session: Session,
    *,
    platform: str = "Twitter",
    action: str = "ad_ban",
    target: str = "RT",
    target_key: str | None = None,
    also: list[str] | None = None,
    reports: list[tuple[str, str]] | None = None,
    evidence: str | None = None,
    spans: list[list[int]] | None = None,
    score: float = 0.9,
    scale: str | None = None,
    status: str = "active",
    created_at: datetime | None = None,
    added_at: datetime | None = None,
    first_seen_at: datetime | None = None,
) -> Event:
    """An event with one article (and verdict) per ``(outlet, title)`` report; ``also``
    names further targets of the same ban (as ``event_target`` rows, like ingest makes)."""
    now = created_at or datetime.now(UTC)
    reports = reports or [("example.org", f"{platform} bans {target}")]
    evidence = evidence or f"{platform} has banned ads from {target}."
    event = Event(
        platform=platform,
        action=action,
        target=target,
        target_key=target_key or target.casefold(),
        scale=scale,
        status=status,
        first_seen_at=first_seen_at or now,
        last_seen_at=first_seen_at or now,
        article_count=len(reports),
        outlet_count=len({o for o, _t in reports}),
        headline=reports[0][1],
        score=score,
        evidence=evidence,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    for position, name in enumerate([target, *(also or [])]):
        key = event.target_key if position == 0 else name.casefold()
        session.add(
            EventTarget(
                event_id=event.id,
                target=name,
                target_key=key,
                platform=platform,
                action=action,
                position=position,
            )
        )
    session.flush()
    for outlet, title in reports:
        add_report(
            session,
            event,
            outlet,
            title,
            evidence=evidence,
            spans=spans,
            action=action,
            added_at=added_at or now,
        )
    return event


_serial = iter(range(1, 1_000_000))


def add_report(
    session: Session,
    event: Event,
    outlet: str,
    title: str,
    *,
    evidence: str | None = None,
    spans: list[list[int]] | None = None,
    action: str | None = None,
    added_at: datetime | None = None,
) -> Article:
    """Attach one more article (from ``outlet``) to ``event``, as ingest would."""
    n = next(_serial)
    url = f"https://{outlet}/news/{n}"
    when = added_at or datetime.now(UTC)
    article = Article(
        url=url,
        canonical_url=url,
        outlet=outlet,
        title=title,
        text=evidence or event.evidence,
        published_at=when,
        fetched_at=when,
    )
    session.add(article)
    session.flush()
    session.add(ArticleUrl(article_id=article.id, url=url, outlet=outlet, seen_at=when))
    verdict = Verdict(
        article_id=article.id,
        score=event.score,
        platform=event.platform,
        action=action or event.action,
        target=event.target,
        target_key=event.target_key,
        evidence=evidence or event.evidence,
        rules={"rules": ["test"], "spans": spans or []},
        classifier_version="test",
    )
    session.add(verdict)
    session.flush()
    session.add(
        EventArticle(event_id=event.id, article_id=article.id, verdict_id=verdict.id, added_at=when)
    )
    session.flush()
    return article
