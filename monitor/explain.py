"""Why was this page (not) flagged? ``banwatch explain FILE|URL``.

The page is read from a saved HTML file or fetched with one plain HTTP GET (banwatch's
User-Agent, the crawler's timeout and size limit; only the URL the user names), extracted
by ``monitor.extract.extract_document`` and classified by ``monitor.classify.diagnose``,
exactly as the pipeline does. The result carries what was extracted, every verdict with its
evidence, and the near misses: verdicts under the threshold and sentences where a platform
met an enforcement verb without being bound to it, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import FetchError, SourceError

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.classify import Lexicon, Verdict
    from monitor.config import CrawlerSettings

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


def explain_page(source: str, crawler: CrawlerSettings, lexicon: Lexicon) -> Explanation:
    """Read or fetch ``source``, extract it and classify it."""
    from monitor.classify import diagnose
    from monitor.extract import extract_document

    body, url, encoding = load_page(source, crawler)
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


def load_page(source: str, crawler: CrawlerSettings) -> tuple[bytes, str, str | None]:
    """(body, URL, declared charset) of a saved file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        body, encoding = fetch(source, crawler)
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


def fetch(url: str, crawler: CrawlerSettings) -> tuple[bytes, str | None]:
    """One GET: banwatch's User-Agent, the crawler's timeout, at most ``max_size`` bytes."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, headers={"User-Agent": user_agent(crawler), "Accept": "text/html,*/*;q=0.5"}
    )
    try:
        with urllib.request.urlopen(request, timeout=crawler.timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > crawler.max_size:
                raise FetchError(f"{url}: {declared} bytes, over the {crawler.max_size} limit")
            chunks, size = [], 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > crawler.max_size:
                    raise FetchError(f"{url}: over the {crawler.max_size}-byte limit")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get_content_charset()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: {exc.reason}") from None
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {crawler.timeout:g}s") from None
