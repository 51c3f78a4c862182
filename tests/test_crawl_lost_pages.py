"""A feed entry whose page was not stored is fetched again, though the feed answers 304.

The feed's answer (with its ETag) is recorded in the transaction that writes its entries to
the crawl frontier; each page's row is settled only by the transaction that stores it. So
a page lost to a 500, or to a crawl killed before the page was stored, is fetched by the
next crawl from its pending row while the feed costs one 304. A page that is gone for good
(404) is given up at once.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import LoopbackSite
from tests.crawl_site import article_page, banwatch, recent, rss, start_banwatch, write_settings

pytestmark = pytest.mark.slow

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


def _config(tmp_path: Path, site: LoopbackSite, **crawler: object) -> Path:
    return write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0, "page_retry_base": "10ms", **crawler},
        feeds=[{"name": "wire", "url": site.url("/feed.xml")}],
    )


def _frontier(tmp_path: Path) -> dict[str, tuple[str, int]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'banwatch.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT url, state, attempts FROM frontier")).all()
    engine.dispose()
    return {url.rsplit("/", 1)[-1]: (state, attempts) for url, state, attempts in rows}


def test_an_entry_whose_page_failed_is_fetched_at_the_next_poll(
    loopback_site: LoopbackSite, tmp_path: Path
):
    loopback_site.add("/a.html", article_page(1, recent(hours=1)))
    _flaky(loopback_site, "/b.html", article_page(2, recent(hours=2)), failures=1)
    _feed_site(loopback_site, ["/a.html", "/b.html"])
    config = _config(tmp_path, loopback_site)

    first = _crawl(config)
    assert (first["stored"], first["errors"]) == (1, 1)  # b.html answered 500
    assert _frontier(tmp_path)["b.html"] == ("failed", 1)
    second = _crawl(config)
    assert (second["stored"], second["not_modified"]) == (1, 1)  # b from its row; feed 304
    third = _crawl(config)
    assert (third["stored"], third["not_modified"], third["fetched"]) == (0, 1, 0)

    assert _feed_requests(loopback_site) == [None, ETAG, ETAG]
    assert loopback_site.hits["/a.html"] == 1  # a stored entry is never fetched again
    assert loopback_site.hits["/b.html"] == 2
    assert _frontier(tmp_path) == {"a.html": ("done", 0), "b.html": ("done", 1)}


def test_a_page_that_is_gone_is_given_up_at_once(loopback_site: LoopbackSite, tmp_path: Path):
    loopback_site.add("/a.html", article_page(1, recent(hours=1)))
    _feed_site(loopback_site, ["/a.html", "/gone.html"])  # no route: 404
    config = _config(tmp_path, loopback_site)

    assert _crawl(config)["stored"] == 1
    assert _crawl(config)["not_modified"] == 1
    assert _feed_requests(loopback_site) == [None, ETAG]
    assert loopback_site.hits["/gone.html"] == 1
    assert _frontier(tmp_path)["gone.html"] == ("given_up", 1)


def test_a_crawl_killed_after_the_feed_loses_nothing(loopback_site: LoopbackSite, tmp_path: Path):
    """The issue's loss: the feed's ETag is recorded, the crawl is SIGKILLed before its page
    is stored, and the feed answers 304 from then on. The page's row stays pending; once
    the dead crawl's lease ends the next crawl fetches it."""
    asked, release = threading.Event(), threading.Event()
    page = article_page(3, recent(hours=1)).encode()

    def slow(h: BaseHTTPRequestHandler) -> None:
        asked.set()
        release.wait(30)
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(page)))
        h.end_headers()
        h.wfile.write(page)

    loopback_site.add("/slow.html", slow)
    _feed_site(loopback_site, ["/slow.html"])
    config = _config(tmp_path, loopback_site, frontier_lease="1s", timeout="20s")
    crawl = start_banwatch(config, "crawl", "feeds", "--json")
    try:
        assert asked.wait(60), "the crawl never asked for the page"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.communicate(timeout=30)
    finally:
        release.set()
    assert _frontier(tmp_path) == {"slow.html": ("pending", 0)}

    again = _crawl(config)
    assert (again["stored"], again["not_modified"]) == (1, 1)
    assert _feed_requests(loopback_site) == [None, ETAG]
    assert _frontier(tmp_path) == {"slow.html": ("done", 0)}
