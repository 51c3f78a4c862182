"""The one template environment: escaping, safe links, and an Atom feed that stays
well-formed XML whatever text an article brought (property test)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.queries import FoundEvent
from monitor.states import EventStatus
from monitor.templating import clean_text, marked, render, safe_href

ANY_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=80
)  # every code point, controls, noncharacters and lone surrogates included


def event(title: str, platform: str = "Twitter") -> FoundEvent:
    seen = datetime(2024, 9, 24, 12, tzinfo=UTC)
    return FoundEvent(
        id=1,
        platform=platform,
        action="ad_ban",
        target=title[:10] or "RT",
        targets=(title[:10] or "RT",),
        status=EventStatus.ACTIVE,
        article_count=1,
        outlet_count=1,
        first_seen=seen,
        last_seen=seen,
        headline=title,
        scale=None,
        urls=(),
        outlets=(title[-5:],),
    )


@settings(max_examples=300, deadline=None)
@given(title=ANY_TEXT, platform=ANY_TEXT)
def test_the_feed_is_well_formed_xml_whatever_the_text(title: str, platform: str) -> None:
    body = render(
        "feed.atom.xml",
        events=[event(title, platform)],
        base="https://bw.example",
        query="platform=X&q=<a>",
        updated="2024-09-24T12:00:00Z",
    )
    root = ET.fromstring(body.encode("utf-8", "surrogatepass"))
    summary = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    shown = clean_text(title).replace("\r\n", "\n").replace("\r", "\n")  # XML line ends
    assert summary is not None and shown in (summary.text or "")


def test_safe_href_takes_only_http_links() -> None:
    assert safe_href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_href(" http://a.example") == "http://a.example"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//a.example",
                "/relative", "vbscript:x", "https:/x", "", None):  # fmt: skip
        assert safe_href(bad) is None, bad


def test_html_templates_escape_and_text_templates_do_not() -> None:
    from markupsafe import Markup

    html = render("message.html", title="<b>x</b>", message='"><script>1</script>', nav="",
                  feed_query="", csrf="t", zone=None, base="", admin=False)  # fmt: skip
    assert "<script>1" not in html and "&lt;script&gt;1" in html and "&lt;b&gt;x" in html
    text = render("mail/confirm.txt", address="<a@b.example>", confirm="https://x/confirm/1.a")
    assert "<a@b.example>" in text
    assert marked("Twitter bans RT", [(0, 7), (13, 15), (99, 120), (3, 5)]) == [
        ("Twitter", True),
        (" bans ", False),
        ("RT", True),
    ]
    assert isinstance(Markup("<b>"), str)
