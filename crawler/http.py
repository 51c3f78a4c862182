"""HTTP details the spiders share: conditional GET headers, how long the server asks us to
wait, and the one place where a failed fetch becomes one error line.

    conditional_headers("W/\\"abc\\"", None)       -> {"If-None-Match": 'W/"abc"'}
    wait_hint(response.headers)                  -> 600.0 (max-age=600) or None
    describe_failure(failure)                    -> ("HTTP 500 Internal Server Error", None)
"""

from __future__ import annotations

import email.utils
import re
import time
from http import HTTPStatus
from typing import TYPE_CHECKING

from monitor.ingest import BanwatchError

if TYPE_CHECKING:
    from scrapy.http import Headers, Response
    from twisted.python.failure import Failure

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)
# A server cannot push a poll further out than this, whatever it says.
MAX_WAIT = 7 * 86400.0


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the validators stored at the last 200."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    return text or None


def retry_after(headers: Headers, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    value = header(headers, "Retry-After")
    if value is None:
        return None
    if value.isdigit():
        return min(float(value), MAX_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - (now or time.time()), 0.0), MAX_WAIT)


def max_age(headers: Headers) -> float | None:
    """Seconds from Cache-Control max-age (or s-maxage), unless no-cache/no-store."""
    value = header(headers, "Cache-Control")
    if value is None or _NO_CACHE.search(value):
        return None
    ages = [int(m) for m in _MAX_AGE.findall(value)]
    return min(float(max(ages)), MAX_WAIT) if ages else None


def wait_hint(headers: Headers) -> float | None:
    """How long the server asked us not to come back (the larger of max-age, Retry-After)."""
    hints = [h for h in (max_age(headers), retry_after(headers)) if h]
    return max(hints) if hints else None


def content_type(response: Response) -> str:
    return header(response.headers, "Content-Type") or ""


GONE = (404, 410)  # an article page answering these will not come back: no retry


def is_gone(failure: Failure) -> bool:
    """True when the request failed with 404 Not Found or 410 Gone."""
    from scrapy.spidermiddlewares.httperror import HttpError

    exc = failure.value
    return isinstance(exc, HttpError) and exc.response.status in GONE


def describe_failure(failure: Failure, *, max_size: int | None = None) -> tuple[str, float | None]:
    """A failed request -> (one error line, seconds the server asked us to wait or None).

    Every way a fetch can fail is named here once, so each source's ``last_error`` and log
    line read the same whichever spider met it.
    """
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        IgnoreRequest,
        ResponseDataLossError,
    )
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.defer import CancelledError
    from twisted.internet.error import (
        ConnectionLost,
        ConnectionRefusedError,
        DNSLookupError,
        TCPTimedOutError,
        TimeoutError,
    )
    from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "unknown status"
        return f"HTTP {response.status} {phrase}", retry_after(response.headers)
    if isinstance(exc, BanwatchError):
        return str(exc), None
    if isinstance(exc, IgnoreRequest):
        reason = str(exc) or "request ignored"
        if "robots.txt" in reason.lower():
            return "forbidden by robots.txt", None
        return reason, None
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return "timed out", None
    if isinstance(exc, DownloadCancelledError | CancelledError):
        limit = f" of {max_size} bytes" if max_size else ""
        return f"response larger than the size limit{limit}", None
    if isinstance(exc, ResponseDataLossError):
        return "response truncated (connection closed before Content-Length)", None
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "DNS lookup failed", None
    if isinstance(exc, DownloadConnectionRefusedError | ConnectionRefusedError):
        return "connection refused", None
    if isinstance(exc, ResponseFailed | ResponseNeverReceived | ConnectionLost):
        reasons = getattr(exc, "reasons", None) or []
        detail = "; ".join(type(r.value).__name__ for r in reasons) or type(exc).__name__
        if "DataLoss" in detail:
            return "response truncated (connection closed before Content-Length)", None
        return f"connection failed ({detail})", None
    if isinstance(exc, DownloadFailedError):
        return f"download failed: {exc}", None
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__), None
