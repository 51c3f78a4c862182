"""A feed entry whose page failed is fetched again, even though the feed answers 304.

The feed's answer (with its ETag) is recorded before its entries' pages are fetched. If a
page then fails for a reason that may pass (here a 500), the next conditional poll would
get a 304 and the entry would never be offered again: lost. So the spider drops the feed's
validators, the next poll reads the feed in full, skips the stored entries and fetches the
lost one; once nothing is missing the feed's ETag is kept again. A page that is gone for
good (404) costs no such re-read.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.conftest import LoopbackSite
from tests.crawl_site import article_page, banwatch, recent, rss, write_settings

ETAG = '"wire-1"'


def _feed_site(site: LoopbackSite, links: list[str]) -> None:
    """A feed listing ``links`` that honours If-None-Match with its one ETag."""
    body = rss(
        {"title": f"story {n}", "link": site.url(link), "guid": f"g{n}", "pubDate": None}
        for n, link in enumerate(links)
    ).encode()

    def feed(h: BaseHTTPRequestHandler) -> None:
        fresh = h.headers.get("If-None-Match") == ETAG
        h.send_response(304 if fresh else 200)
        h.send_header("ETag", ETAG)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", "0" if fresh else str(len(body)))
        h.end_headers()
        if not fresh:
            h.wfile.write(body)

    site.add("/feed.xml", feed)


def _flaky(site: LoopbackSite, path: str, page: str, failures: int) -> None:
    """``path`` answers 500 ``failures`` times, then ``page``."""
    left = [failures]
    lock = threading.Lock()

    def handle(h: BaseHTTPRequestHandler) -> None:
        with lock:
            fail, left[0] = left[0] > 0, left[0] - 1
        data = b"try later" if fail else page.encode()
        h.send_response(500 if fail else 200)
        h.send_header("Content-Type", "text/plain" if fail else "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    site.add(path, handle)


def _crawl(config: Path) -> dict:
    run = banwatch(config, "crawl", "feeds", "--source", "wire", "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _feed_requests(site: LoopbackSite) -> list[str | None]:
    """The If-None-Match each request for the feed carried, in order."""
    return [headers.get("If-None-Match") for path, headers in site.requests if path == "/feed.xml"]


def _config(tmp_path: Path, site: LoopbackSite) -> Path:
    return write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0},
        feeds=[{"name": "wire", "url": site.url("/feed.xml")}],
    )


def test_an_entry_whose_page_failed_is_fetched_at_the_next_poll(
    loopback_site: LoopbackSite, tmp_path: Path
):
    loopback_site.add("/a.html", article_page(1, recent(hours=1)))
    _flaky(loopback_site, "/b.html", article_page(2, recent(hours=2)), failures=1)
    _feed_site(loopback_site, ["/a.html", "/b.html"])
    config = _config(tmp_path, loopback_site)

    first = _crawl(config)
    assert (first["stored"], first["errors"]) == (1, 1)  # b.html answered 500
    second = _crawl(config)
    assert (second["stored"], second["not_modified"]) == (1, 0)  # the feed in full; b now
    third = _crawl(config)
    assert (third["stored"], third["not_modified"]) == (0, 1)  # nothing missing: a 304

    # No ETag after the lost page, the ETag again once everything was stored.
    assert _feed_requests(loopback_site) == [None, None, ETAG]
    assert loopback_site.hits["/a.html"] == 1  # a stored entry is never fetched again
    assert loopback_site.hits["/b.html"] == 2


def test_a_page_that_is_gone_does_not_cost_a_full_read(loopback_site: LoopbackSite, tmp_path: Path):
    loopback_site.add("/a.html", article_page(1, recent(hours=1)))
    _feed_site(loopback_site, ["/a.html", "/gone.html"])  # no route: 404
    config = _config(tmp_path, loopback_site)

    assert _crawl(config)["stored"] == 1
    assert _crawl(config)["not_modified"] == 1
    assert _feed_requests(loopback_site) == [None, ETAG]
    assert loopback_site.hits["/gone.html"] == 1
