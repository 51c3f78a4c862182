"""Why was this page (not) flagged? ``banwatch explain FILE|URL``.

The page is read from a saved HTML file or fetched with one plain HTTP GET (banwatch's
User-Agent, the crawler's size limit, and its timeout as a deadline for the whole fetch,
redirects included), extracted
by ``monitor.extract.extract_document`` and classified by ``monitor.classify.diagnose``,
exactly as the pipeline does. The URL the user names is theirs to choose (trusted); every
redirect from it passes the address policy (``monitor.net``) like a crawl's redirects do:
http(s) only, no private or loopback address unless configured or ``[network] allow``ed.
The result carries what was extracted, every verdict with its
evidence, and the near misses: verdicts under the threshold and sentences where a platform
met an enforcement verb without being bound to it, with the reason.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import FetchError, SourceError

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.classify import Lexicon, Verdict
    from monitor.config import CrawlerSettings
    from monitor.net import AddressPolicy

CHUNK = 64 * 1024


@dataclass(slots=True)
class Explanation:
    """One page, extracted and classified."""

    source: str
    title: str
    published: datetime | None
    language: str | None
    text: str
    verdicts: list[Verdict]
    below_threshold: list[Verdict] = field(default_factory=list)
    near_misses: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The contract's ``title, published, language, text, verdicts``, plus the near
        misses."""
        return {
            "source": self.source,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "language": self.language,
            "text": self.text,
            "verdicts": [_verdict_json(v) for v in self.verdicts],
            "near_misses": [{"sentence": s, "reason": r} for s, r in self.near_misses],
        }


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        **verdict.as_dict(),
        "rules": list(verdict.rules),
        "spans": [list(s) for s in verdict.spans],
    }


def explain_page(
    source: str,
    crawler: CrawlerSettings,
    lexicon: Lexicon,
    *,
    policy: AddressPolicy | None = None,
) -> Explanation:
    """Read or fetch ``source``, extract it and classify it."""
    from monitor.classify import diagnose
    from monitor.extract import extract_document

    body, url, encoding = load_page(source, crawler, policy=policy)
    doc = extract_document(body, url, encoding=encoding)
    diagnosis = diagnose(doc.title, doc.text, lexicon)
    return Explanation(
        source=source,
        title=doc.title,
        published=doc.published_at,
        language=doc.language,
        text=doc.text,
        verdicts=diagnosis.verdicts,
        below_threshold=diagnosis.below_threshold,
        near_misses=diagnosis.nearest_misses(),
    )


def load_page(
    source: str, crawler: CrawlerSettings, *, policy: AddressPolicy | None = None
) -> tuple[bytes, str, str | None]:
    """(body, URL, declared charset) of a saved file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        body, encoding = fetch(source, crawler, policy=policy)
        return body, source, encoding
    path = Path(source)
    try:
        return path.read_bytes(), path.resolve().as_uri(), None
    except OSError as exc:
        raise SourceError(f"{source}: {exc.strerror or exc}") from None


def user_agent(crawler: CrawlerSettings) -> str:
    """The crawler's User-Agent, with the contact URL as the crawls send it."""
    agent = crawler.user_agent
    if crawler.contact_url and crawler.contact_url not in agent:
        agent = f"{agent} (+{crawler.contact_url})"
    return agent


def fetch(
    url: str, crawler: CrawlerSettings, *, policy: AddressPolicy | None = None
) -> tuple[bytes, str | None]:
    """One GET: banwatch's User-Agent, at most ``max_size`` bytes, all of it (connecting,
    redirects, headers, body) within ``crawler.timeout`` seconds; ``url`` itself trusted,
    each redirect hop checked by ``policy`` (default: nothing else trusted or allowed)."""
    import http.client
    import threading
    import urllib.error
    import urllib.request

    from monitor.masking import mask_url
    from monitor.net import AddressPolicy

    shown = mask_url(url)
    policy = (policy or AddressPolicy()).with_trusted([url])
    sockets: list[socket.socket] = []
    expired = threading.Event()

    def cut() -> None:  # the deadline: unblock whatever read is waiting
        expired.set()
        for sock in list(sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    request = urllib.request.Request(
        url, headers={"User-Agent": user_agent(crawler), "Accept": "text/html,*/*;q=0.5"}
    )
    timer = threading.Timer(crawler.timeout, cut)
    timer.daemon = True
    timer.start()
    try:
        opener = policy.opener(on_connect=sockets.append)
        with opener.open(request, timeout=crawler.timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > crawler.max_size:
                raise FetchError(f"{shown}: {declared} bytes, over the {crawler.max_size} limit")
            chunks, size = [], 0
            while chunk := response.read1(CHUNK):
                size += len(chunk)
                if size > crawler.max_size:
                    raise FetchError(f"{shown}: over the {crawler.max_size}-byte limit")
                chunks.append(chunk)
            if expired.is_set():
                raise TimeoutError
            return b"".join(chunks), response.headers.get_content_charset()
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, OSError, http.client.HTTPException, urllib.error.URLError) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise FetchError(f"{shown}: no complete answer within {crawler.timeout:g}s") from None
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, FetchError):
            raise exc.reason from None
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise FetchError(f"{shown}: {reason or type(exc).__name__}") from None
    finally:
        timer.cancel()
