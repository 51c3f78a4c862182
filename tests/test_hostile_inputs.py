"""Arbitrary bytes as feeds and as pages: the parser and the cleaner never raise anything
but the typed ``ParseError``, and what they return is clean text (property tests)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.feedreader import read_feed
from monitor.errors import ParseError
from monitor.extract import extract_document
from monitor.sanitize import clean_text

# What may never survive cleaning: C0/C1 controls but tab and newline, noncharacters,
# surrogates, bidi overrides and isolates.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ud800-\udfff]"
    "|[\ufffe\uffff]|[\U0001fffe\U0001ffff\U0010fffe\U0010ffff]"
)
XML_CHAR = re.compile("^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")

HOSTILE = st.sampled_from(
    [
        "[/bold]",
        "[red]x[/red]",
        "\x1b[31m",
        "\x1b]0;owned\x07",
        "\x9b2J",
        "\x00",
        "\x07",
        "\x0c",
        "\r",
        "\x85",
        "\u202e",
        "\u2066",
        "\ufffe",
        "\ufdd0",
        "\U0010ffff",
        "&amp;",
        "<b>",
    ]
)
TEXTISH = st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=12).map("".join)
CONTENT_TYPES = st.sampled_from(
    ["", "application/rss+xml", "application/atom+xml", "application/feed+json", "text/html"]
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(TEXTISH)
def test_cleaned_text_has_nothing_forbidden_and_is_xml(text: str) -> None:
    cleaned = clean_text(text)
    assert not FORBIDDEN.search(cleaned)
    assert XML_CHAR.match(cleaned)
    assert "\r" not in cleaned
    assert clean_text(cleaned) == cleaned  # once is enough


@FUZZ
@given(st.binary(max_size=3000), CONTENT_TYPES)
def test_arbitrary_bytes_as_a_feed_never_raise_untyped(body: bytes, content_type: str) -> None:
    try:
        feed = read_feed(body, "http://127.0.0.1:8/feed", content_type)
    except ParseError:
        return
    for entry in feed.entries:
        assert entry.link.startswith(("http://", "https://"))
        assert not FORBIDDEN.search(entry.title or "")


@FUZZ
@given(st.lists(TEXTISH, min_size=1, max_size=5), st.sampled_from(["rss", "atom", "json"]))
def test_hostile_titles_in_a_feed_come_out_clean(titles: list[str], dialect: str) -> None:
    body = _feed(titles, dialect)
    try:
        feed = read_feed(body, "http://127.0.0.1:8/feed")
    except ParseError:
        return
    for entry in feed.entries:
        assert not FORBIDDEN.search(entry.title or "")


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_as_a_page_never_raise_untyped(body: bytes) -> None:
    try:
        document = extract_document(body, "http://127.0.0.1:8/page", min_chars=1)
    except ParseError:
        return
    assert document.text.strip(), "a page that yields no text is a ParseError, not a Document"
    assert not FORBIDDEN.search(document.title or "")
    assert not FORBIDDEN.search(document.text)


@FUZZ
@given(TEXTISH, TEXTISH)
def test_hostile_page_text_comes_out_clean(title: str, paragraph: str) -> None:
    sentence = "The harbour council met on Tuesday to discuss the ferry timetable. " * 4
    page = (
        f"<html><head><title>{escape(title)}</title></head><body><article>"
        f"<h1>{escape(title)}</h1><p>{escape(paragraph)} {sentence}</p><p>{sentence}</p>"
        "</article></body></html>"
    ).encode("utf-8", "surrogatepass")
    try:
        doc = extract_document(page, "http://127.0.0.1:8/page", min_chars=1)
    except ParseError:
        return
    assert not FORBIDDEN.search(doc.title)
    assert not FORBIDDEN.search(doc.text)


def _feed(titles: list[str], dialect: str) -> bytes:
    if dialect == "json":
        import json

        items = [{"url": f"http://127.0.0.1:8/{i}", "title": t} for i, t in enumerate(titles)]
        text = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
        return text.encode("utf-8", "surrogatepass")
    if dialect == "rss":
        items = "".join(
            f"<item><title>{escape(t)}</title><link>http://127.0.0.1:8/{i}</link></item>"
            for i, t in enumerate(titles)
        )
        doc = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    else:
        entries = "".join(
            f'<entry><title>{escape(t)}</title><link href="http://127.0.0.1:8/{i}"/>'
            f"<id>urn:{i}</id></entry>"
            for i, t in enumerate(titles)
        )
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'
    return doc.encode("utf-8", "surrogatepass")
