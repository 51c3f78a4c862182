"""What keeps the web app safe to expose: headers, CSRF tokens, the admin session and the
subscription rate limit.

- Every response carries a Content-Security-Policy with no inline script (and no script at
  all: the pages need none), ``frame-ancestors 'none'``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin`` and ``X-Frame-Options: DENY``.
- Forms carry a CSRF token: a random value in a ``SameSite=Strict`` cookie that the form
  must echo (double submit, compared in constant time).
- The admin token comes from the environment (``BANWATCH_ADMIN_TOKEN``, read by
  ``monitor.config``); the admin cookie holds an HMAC of it, never the token itself.
- ``RateLimit`` counts subscription attempts per client address in a sliding window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE: Final = "bw_csrf"
ADMIN_COOKIE: Final = "bw_admin"
CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every HTTP response (errors included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def secure_cookies(request: Request, base_url: str | None) -> bool:
    return (base_url or str(request.base_url)).startswith("https:")


def csrf_token(request: Request) -> tuple[str, bool]:
    """The client's CSRF token and whether it is new (then ``set_csrf`` must send it)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(32), True


def set_csrf(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """True when the form echoed the cookie's token."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


def admin_cookie_value(admin_token: str) -> str:
    return hmac.new(admin_token.encode(), b"banwatch admin session", hashlib.sha256).hexdigest()


def is_admin(request: Request, admin_token: str | None) -> bool:
    """A request from the admin: the session cookie, or ``Authorization: Bearer TOKEN``."""
    if not admin_token:
        return False
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), admin_token.encode())
    cookie = request.cookies.get(ADMIN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(
        cookie.encode(), admin_cookie_value(admin_token).encode()
    )


def token_matches(given: str, admin_token: str | None) -> bool:
    return bool(admin_token) and hmac.compare_digest(
        given.strip().encode(), (admin_token or "").encode()
    )


class RateLimit:
    """At most ``limit`` events per key in any ``window`` seconds (in memory, per process)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; False (and not counted) when over the limit."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget clients quiet for a whole window
                for idle in [k for k, v in self._hits.items() if now - v[-1] >= self.window]:
                    del self._hits[idle]
            return True

    def retry_after(self, key: str) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(self.window - (self.clock() - hits[0])) + 1)
