"""Duplicates and events: one story is one article, one ban is one event.

Three article-level keys, cheapest first:

* ``canonical_url``: the URL with tracking parameters, fragments, default ports, ``www.``/
  ``m.``/``amp.`` hosts and AMP paths removed (courlan does the query cleaning);
* ``content_hash``: SHA-256 of the normalised text (same words, any markup);
* ``fingerprint``: a 64-bit SimHash over word 3-shingles, stored with its four 16-bit bands
  so that a near-duplicate (Hamming distance <= 3) is found with four index probes and no
  in-memory index (PERF.md: an LSH index costs ~3 GiB per million documents).

Events: a verdict joins the newest event with the same platform, action and target key
seen within the event window; a reinstatement reverses the newest matching ban.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import sqlalchemy as sa
import xxhash
from sqlalchemy.orm import Session

from monitor.models import Article, ArticleUrl, Event

SIMHASH_BITS = 64
NEAR_DUPLICATE_DISTANCE = 3
BAND_BITS = 16
_WORD = re.compile(r"\w+", re.UNICODE)
_AMP_PATH = re.compile(r"(/amp/?$|\.amp$|/amp(?=/))", re.IGNORECASE)
_STRIP_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_BIT_WEIGHTS = (1 << np.arange(SIMHASH_BITS, dtype=np.uint64)).astype(np.uint64)


def canonical_url(url: str) -> str:
    """A URL key under which the same page is always found.

    >>> canonical_url("https://www.Example.com:443/news/story/?utm_source=x&id=3#top")
    'https://example.com/news/story?id=3'
    """
    from courlan import normalize_url

    raw = url.strip()
    try:
        cleaned = normalize_url(raw, strict=True)
    except (ValueError, AttributeError):
        cleaned = raw
    parts = urlsplit(cleaned)
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in _STRIP_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def outlet_of(url: str) -> str:
    """The outlet a URL belongs to: its host without www./m./amp."""
    return urlsplit(canonical_url(url)).hostname or ""


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for the same words in any markup or spacing."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def simhash(text: str, shingle: int = 3) -> int:
    """64-bit SimHash over word shingles (xxh64 per shingle), as a signed int64."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if not words:
        return 0
    if len(words) < shingle:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)]
    hashes = np.fromiter(
        (xxhash.xxh64_intdigest(g.encode("utf-8")) for g in grams),
        dtype=np.uint64,
        count=len(grams),
    )
    bits = ((hashes[:, None] >> np.arange(SIMHASH_BITS, dtype=np.uint64)) & np.uint64(1)).astype(
        np.int32
    )
    votes = bits.sum(axis=0) * 2 - len(grams)
    value = int(_BIT_WEIGHTS[votes > 0].sum(dtype=np.uint64))
    return value - (1 << 64) if value >= 1 << 63 else value


def bands(fingerprint: int) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a fingerprint (as stored in fp_band0..3)."""
    unsigned = fingerprint & 0xFFFFFFFFFFFFFFFF
    mask = (1 << BAND_BITS) - 1
    return tuple((unsigned >> (BAND_BITS * i)) & mask for i in range(4))  # type: ignore[return-value]


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def find_duplicate(
    session: Session,
    *,
    urls: list[str],
    content_hash_: str,
    fingerprint: int,
    max_distance: int = NEAR_DUPLICATE_DISTANCE,
) -> Article | None:
    """The stored article this one duplicates: same URL, same text, or near-identical text."""
    if urls:
        found = session.scalar(
            sa.select(Article).join(ArticleUrl).where(ArticleUrl.url.in_(urls)).limit(1)
        )
        if found is not None:
            return found
        found = session.scalar(sa.select(Article).where(Article.canonical_url.in_(urls)).limit(1))
        if found is not None:
            return found
    found = session.scalar(sa.select(Article).where(Article.content_hash == content_hash_).limit(1))
    if found is not None:
        return found
    if fingerprint == 0:
        return None
    b0, b1, b2, b3 = bands(fingerprint)
    candidates = session.execute(
        sa.select(Article.id, Article.fingerprint).where(
            sa.or_(
                Article.fp_band0 == b0,
                Article.fp_band1 == b1,
                Article.fp_band2 == b2,
                Article.fp_band3 == b3,
            )
        )
    ).all()
    best = min(
        ((hamming(fp, fingerprint), aid) for aid, fp in candidates if fp is not None),
        default=None,
    )
    if best is not None and best[0] <= max_distance:
        return session.get(Article, best[1])
    return None


def match_event(
    session: Session,
    *,
    platform: str,
    action: str,
    target_key: str,
    seen_at: datetime,
    window: timedelta,
) -> Event | None:
    """The open event this verdict belongs to, or None when it is a new ban.

    Other actions match exactly, within the window around ``seen_at``. A reinstatement
    matches the newest earlier ban of the same target on the same platform, however old.
    """
    query = sa.select(Event).where(Event.platform == platform, Event.target_key == target_key)
    if action == "reinstatement":
        # A ban can be lifted years later: no window, newest ban first.
        query = query.where(
            Event.action != "reinstatement", Event.first_seen_at <= seen_at + window
        )
    else:
        query = query.where(
            Event.action == action,
            Event.last_seen_at >= seen_at - window,
            Event.first_seen_at <= seen_at + window,
        )
    return session.scalar(query.order_by(Event.last_seen_at.desc()).limit(1))
