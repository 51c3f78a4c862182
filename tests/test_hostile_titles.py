"""Hostile titles from a feed and its page (rich markup, terminal escape codes, C0/C1
controls, bidi overrides, noncharacters) are crawled, stored and listed: ``banwatch
events`` and ``hits`` print them as plain text, with nothing that moves the cursor,
recolours the terminal or reorders the line, and exit 0; the web pages and the Atom feed
over the same database stay well-formed (the text was cleaned where it entered)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from monitor.config import load_settings
from tests.conftest import LoopbackSite
from tests.crawl_site import banwatch, rss, write_settings
from tests.web_fixtures import serve

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo_site"
HOSTILE = "[/bold][red]Twitter\x1b[31m bans\x1b]0;owned\x07 Kaspersky\u202e Lab\x00\x9b2J\ufffe ads"
# Nothing a terminal acts on, nothing XML forbids, no bidi override.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _page() -> bytes:
    """The demo page with its title (<title>, og:title, <h1>) made hostile."""
    page = (DEMO / "twitter-kaspersky-ad-ban.html").read_text(encoding="utf-8")
    original = "Twitter bans Kaspersky Lab from advertising on its platform"
    assert original in page
    return page.replace(original, html.escape(HOSTILE)).encode("utf-8")


@pytest.mark.slow
def test_hostile_titles_leave_events_and_hits_intact(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    link = loopback_site.add("/story.html", _page())
    loopback_site.add(
        "/feed.xml", rss([{"title": HOSTILE, "link": link}]), content_type="application/rss+xml"
    )
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False},
        feeds=[{"name": "wire", "url": loopback_site.url("/feed.xml")}],
    )
    crawl = banwatch(config, "crawl", "feeds", "--json")
    assert crawl.returncode == 0, crawl.stderr
    assert json.loads(crawl.stdout)["stored"] == 1

    for verb in ("events", "hits"):
        plain = banwatch(config, verb)
        assert plain.returncode == 0, plain.stderr
        assert "Traceback" not in plain.stderr
        assert not FORBIDDEN.search(plain.stdout), repr(plain.stdout)
        assert "[/bold]" in plain.stdout  # printed as text, not read as markup

        as_json = banwatch(config, verb, "--json")
        assert as_json.returncode == 0, as_json.stderr
        rows = json.loads(as_json.stdout)
        assert rows
        titles = [r.get("headline") or r.get("title") or "" for r in rows]
        assert all(not FORBIDDEN.search(t) for t in titles), titles
        assert any("[/bold][red]Twitter" in t and "Kaspersky Lab" in t for t in titles)

    # The same rows through the web app: the Atom feed parses as XML, the pages show the
    # title as text.
    for server in serve(load_settings(config, env={})):
        feed = requests.get(server.url + "/feed.atom", timeout=10)
        assert feed.status_code == 200
        root = ET.fromstring(feed.content)  # well-formed, whatever the feed sent
        text = "".join(root.itertext())
        assert "[/bold][red]Twitter" in text  # the headline, as text
        assert not FORBIDDEN.search(text)
        home = requests.get(server.url + "/", timeout=10).text
        assert "[/bold][red]Twitter" in home and not FORBIDDEN.search(home)
