"""A story's URL key: one canonical form of every URL a page is known by.

``canonical_url`` drops tracking parameters, the fragment, the default port, a
``www.``/``m.``/``amp.`` host prefix, AMP paths and query markers, the AMP-cache wrapper and
the trailing slash (courlan cleans and sorts the query; a few trackers courlan misses are
removed by name). ``monitor.dedupe`` keys stored articles by it and the crawl frontier keys
its rows by it; this module imports neither numpy nor the database, so both stay cheap to
import.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_AMP_PATH = re.compile(r"(/amp/?$|\.amp(?:\.html?)?$|^/amp(?=/))", re.IGNORECASE)
_AMP_CACHE_HOST = ".cdn.ampproject.org"
_STRIP_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
# Trackers and presentation switches courlan keeps (it already drops utm_*, fbclid, gclid,
# mc_*, ref, source, campaign ...). Compared lower-cased.
_EXTRA_QUERY_NOISE = frozenset(
    {
        "amp",
        "amp_js_v",
        "cmp",
        "cmpid",
        "ito",
        "module",
        "ns_campaign",
        "ns_linkname",
        "ns_mchannel",
        "ns_source",
        "ocid",
        "output",
        "outputtype",
        "pgtype",
        "s_cid",
        "share",
        "smid",
        "smtyp",
        "sr_share",
        "taid",
        "via",
    }
)


def canonical_url(url: str) -> str:
    """A URL key under which the same page is always found.

    >>> canonical_url("https://www.Example.com:443/news/story/?utm_source=x&id=3#top")
    'https://example.com/news/story?id=3'
    """
    from courlan import normalize_url

    raw = _unwrap_amp_cache(url.strip())
    try:
        cleaned = normalize_url(raw, strict=False, trailing_slash=False)
    except (ValueError, AttributeError):
        cleaned = raw
    parts = urlsplit(cleaned)
    host = _strip_host_prefixes((parts.hostname or "").lower().rstrip("."))
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _page_path(parts.path)
    query = _drop_params(parts.query, _EXTRA_QUERY_NOISE)
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, query, ""))


def _page_path(path: str) -> str:
    """The path without AMP markers and trailing slashes, however they nest
    (``/amp/a.amp/`` is ``/a``), so that a canonical URL is its own canonical URL."""
    while True:
        shorter = _AMP_PATH.sub("", path.rstrip("/") if len(path) > 1 else path)
        if shorter == path:
            return path or "/"
        path = shorter


def _strip_host_prefixes(host: str) -> str:
    """``www.m.example.com`` -> ``example.com``; a two-label host such as ``m.co`` stays."""
    while host.count(".") >= 2 and (
        prefix := next((p for p in _STRIP_HOST_PREFIXES if host.startswith(p)), None)
    ):
        host = host[len(prefix) :]
    return host


def _drop_params(query: str, names: frozenset[str]) -> str:
    """The query without the parameters named (compared lower-cased), order kept."""
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0].lower() not in names]
    return "&".join(kept)


def _unwrap_amp_cache(url: str) -> str:
    """``https://www-x-com.cdn.ampproject.org/c/s/www.x.com/a`` -> ``https://www.x.com/a``;
    likewise Google's ``https://www.google.com/amp/s/x.com/a``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if host.endswith(_AMP_CACHE_HOST):
        match = re.match(r"^/[a-z]/(s/)?(.+)$", path)
        if match:
            scheme = "https" if match.group(1) else "http"
            return f"{scheme}://{match.group(2)}" + (f"?{parts.query}" if parts.query else "")
    if host in ("google.com", "www.google.com") and path.startswith("/amp/"):
        rest = path[len("/amp/") :]
        scheme = "https" if rest.startswith("s/") else "http"
        rest = rest[2:] if rest.startswith("s/") else rest
        return f"{scheme}://{rest}" + (f"?{parts.query}" if parts.query else "")
    return url


def outlet_of(url: str) -> str:
    """The outlet a URL belongs to: its host without www./m./amp."""
    return outlet_of_key(canonical_url(url))


def outlet_of_key(key: str) -> str:
    """``outlet_of`` for a URL already in ``canonical_url`` form (no second cleaning)."""
    return urlsplit(key).hostname or ""


def usable_rel_canonical(page_url: str, rel_canonical: str | None) -> str | None:
    """The page's rel=canonical when it can be trusted as the page's key.

    Some sites point every article's rel=canonical at their home page; such a link would
    make every article of the site one "duplicate", so a canonical naming a site root for
    a page that is not one is ignored.
    """
    if not rel_canonical or not rel_canonical.startswith(("http://", "https://")):
        return None
    if urlsplit(rel_canonical).path.strip("/") == "" and urlsplit(page_url).path.strip("/"):
        return None
    return rel_canonical


# --- text ----------------------------------------------------------------------------
