"""The one Jinja2 environment: every page, the Atom feed and the mail bodies are its templates.

Templates live in ``monitor/web/templates/`` (package data). Escaping is the template
engine's job, never the Python code's:

- ``*.html`` and ``*.xml`` templates are autoescaped (attribute values included);
  ``*.txt`` mail bodies are plain text and not escaped;
- every value printed by any template first loses the characters XML cannot carry (C0
  controls but tab and newline, U+FFFE/U+FFFF, lone surrogates), so the Atom feed stays
  well-formed whatever an article held;
- links to article pages pass ``safe_href``: only ``http(s)`` URLs become ``href``s.

The filters are registered here once: ``safe_href``, ``local_time``, ``iso``,
``action_label``, ``marked`` (evidence cut into matched / unmatched pieces) and ``plural``.

    render("event.html", event=detail, zone=settings.digest.zone)

This module sits in the lowest layer (it imports nothing of banwatch) so the alert and
digest renderers and the web app share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

# Characters an XML 1.0 document cannot hold, plus the bidi overrides and noncharacters
# that have no business in a page or a mail.
_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff"
    "\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef]"
)
_HTTP = re.compile(r"(?i)^https?://[^\s/?#]+")


def clean_text(value: str) -> str:
    """``value`` without the characters XML cannot carry (and bidi overrides)."""
    return _NOT_XML.sub("", value)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return Markup(clean_text(str(value)))
    if isinstance(value, str):
        return clean_text(value)
    return value


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else ``None`` (javascript:, data:,
    relative, protocol-relative). The template escapes it into the attribute."""
    if not url or not _HTTP.match(url.strip()):
        return None
    return url.strip()


def action_label(action: str | None) -> str:
    """``ad_ban`` -> ``ad ban``."""
    return (action or "").replace("_", " ")


def local_time(
    value: datetime | None, zone: tzinfo | None = None, fmt: str = "%Y-%m-%d %H:%M"
) -> str:
    """``2017-10-26 15:00 UTC`` in ``zone`` (UTC by default); ``unknown`` for ``None``."""
    if value is None:
        return "unknown"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone or UTC)
    return f"{local.strftime(fmt)} {local.tzname() or ''}".rstrip()


def local_date(value: datetime | None, zone: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone or UTC).date().isoformat()


def iso(value: datetime | date | None, timespec: str = "seconds") -> str:
    """RFC 3339 in UTC (``2017-10-26T15:00:00Z``), as Atom wants it; ``iso("auto")`` keeps
    the fraction of a second when there is one, as the JSON outputs do."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
    return value.isoformat()


def marked(sentence: str, spans: Sequence[Sequence[int]] = ()) -> list[tuple[str, bool]]:
    """``sentence`` cut into (text, matched) pieces; overlapping or bad spans are merged or
    dropped. Templates print matched pieces in ``<mark>`` (HTML) or ``*like this*`` (text)."""
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for span in sorted(tuple(s) for s in spans if len(s) == 2):
        start, end = max(int(span[0]), cursor), min(int(span[1]), len(sentence))
        if start >= end:
            continue
        if start > cursor:
            pieces.append((sentence[cursor:start], False))
        pieces.append((sentence[start:end], True))
        cursor = end
    if cursor < len(sentence):
        pieces.append((sentence[cursor:], False))
    return pieces


def find_spans(sentence: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Spans of whole-word, case-insensitive occurrences of ``words`` in ``sentence`` (for
    evidence whose verdict recorded none)."""
    spans: list[tuple[int, int]] = []
    for word in words:
        if word:
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, re.IGNORECASE):
                spans.append((m.start(), m.end()))
    return sorted(spans)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 outlet`` / ``3 outlets``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one environment (built on first use, then shared)."""
    env = Environment(
        loader=PackageLoader("monitor", "web/templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=False),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        safe_href=safe_href,
        action_label=action_label,
        local_time=local_time,
        local_date=local_date,
        iso=iso,
        marked=marked,
        plural=plural,
    )
    return env


def render(name: str, /, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return environment().get_template(name).render(**context)
