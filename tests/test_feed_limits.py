"""Feeds that cannot stall, flood or crash a crawl.

* Parsing happens in a child process with a time limit; a document nested too deep or
  too large is refused with one clear error on its feed.
* A slow-to-parse feed (1.4 MB of nested elements) beside five healthy feeds leaves the
  five healthy (before: it held the reactor 12-15 s and they were recorded as timed out).
* A feed with 100,000 new entries gives ``[crawler] max_entries`` of them, newest first,
  keeps no validators so the next poll takes the next ones, counts the overflow, and the
  crawl's peak memory stays under 300 MB (before: every entry queued, 432 MB).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from crawler.feedreader import ParsedFeed, _read_xml_feed, read_feed
from crawler.feedstream import stream_feed
from crawler.feedworker import run_limited
from monitor.errors import ParseError
from tests.conftest import REPO, LoopbackSite
from tests.crawl_site import article_page, banwatch, loopback_env, recent, rss, write_settings

NESTED = 200_000  # <div> x 200,000 + </div> x 200,000 = 2.2 MB; the test uses ~1.4 MB


def nested_feed(levels: int = 130_000) -> bytes:
    """An RSS feed whose one item carries ``levels`` nested elements (~11 bytes a level)."""
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>deep</title>'
        b"<item><title>deep</title><link>http://127.0.0.1/deep</link><description>"
        + b"<div>" * levels
        + b"</div>" * levels
        + b"</description></item></channel></rss>"
    )


def big_feed(n: int, base: str, start: datetime) -> bytes:
    """An RSS feed of ``n`` entries, one a minute back from ``start``, newest last (so
    "newest first" has to sort, not just take the document's head)."""
    parts = [
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
    ]
    for i in reversed(range(n)):
        when = format_datetime(start - timedelta(minutes=i), usegmt=True)
        parts.append(
            f"<item><title>story {i}</title><link>{base}/a/{i}.html</link>"
            f"<guid>{base}/a/{i}.html</guid><pubDate>{when}</pubDate></item>".encode()
        )
    parts.append(b"</channel></rss>")
    return b"".join(parts)


# --- the reader's limits --------------------------------------------------------------


def test_deep_nesting_is_refused_quickly() -> None:
    body = nested_feed()
    assert 1_300_000 < len(body) < 1_500_000
    started = time.process_time()
    with pytest.raises(ParseError, match="nested deeper than 128 levels"):
        read_feed(body, "http://127.0.0.1/deep.xml")
    assert time.process_time() - started < 2  # feedparser took 4-15 s on this document


def test_deep_json_is_refused() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    with pytest.raises(ParseError, match="JSON nested deeper"):
        read_feed(body, "http://127.0.0.1/f.json", "application/feed+json")


def test_a_feed_over_the_byte_limit_is_refused() -> None:
    body = rss([{"title": "x" * 5000, "link": "http://127.0.0.1/a"}]).encode()
    with pytest.raises(ParseError, match="over the 1000-byte limit"):
        read_feed(body, "http://127.0.0.1/f.xml", max_bytes=1000)


def test_a_normal_feed_with_html_in_cdata_is_not_deep() -> None:
    item = (
        "<item><title>t{0}</title><link>http://127.0.0.1/a{0}</link><description><![CDATA["
        + "<p>a<br>b<img src=x>" * 50
        + "]]></description></item>"
    )
    body = (
        '<rss version="2.0"><channel><title>x</title>'
        + "".join(item.format(i) for i in range(300))
        + "</channel></rss>"
    ).encode()
    assert len(read_feed(body, "http://127.0.0.1/f.xml").entries) == 300


def test_the_stream_reader_agrees_with_feedparser() -> None:
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    body = big_feed(3000, "http://127.0.0.1:8", start)
    streamed = stream_feed(body, "http://127.0.0.1:8/feed.xml")
    parsed = _read_xml_feed(body, "http://127.0.0.1:8/feed.xml", "application/rss+xml")
    assert isinstance(streamed, ParsedFeed)
    assert streamed.entries == parsed.entries
    assert read_feed(body, "http://127.0.0.1:8/feed.xml").entries == parsed.entries


def test_the_stream_reader_leaves_broken_xml_to_feedparser() -> None:
    body = big_feed(2500, "http://127.0.0.1:8", datetime(2026, 11, 30, tzinfo=UTC))[:-20]
    assert stream_feed(body, "http://127.0.0.1:8/f") is None
    assert len(read_feed(body, "http://127.0.0.1:8/f").entries) == 2500


def test_the_worker_stops_a_parse_that_runs_out_of_time() -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match=r"slow\.xml: parsing took longer than 0\.5s"):
        run_limited(time.sleep, 60, timeout=0.5, label="http://127.0.0.1/slow.xml")
    assert time.monotonic() - started < 30  # not the 60 s the child asked for


def test_the_worker_returns_the_parse_and_its_errors() -> None:
    body = rss([{"title": "a", "link": "http://127.0.0.1/a"}]).encode()
    feed = run_limited(read_feed, body, "http://127.0.0.1/f", timeout=30, label="f")
    assert [e.link for e in feed.entries] == ["http://127.0.0.1/a"]
    with pytest.raises(ParseError, match="not a feed"):
        run_limited(read_feed, b"<html>hi</html>", "http://127.0.0.1/h", timeout=30, label="h")


# --- in a real crawl --------------------------------------------------------------------


def _status(config: Path) -> dict[str, dict]:
    run = banwatch(config, "status", "--json")
    return {s["name"]: s for s in json.loads(run.stdout)["sources"]}


@pytest.mark.slow
def test_a_slow_feed_leaves_five_healthy_feeds_healthy(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    feeds = []
    for n in range(5):
        link = loopback_site.add(f"/h{n}.html", article_page(n, recent(hours=1)))
        loopback_site.add(
            f"/healthy{n}.xml",
            rss([{"title": f"story {n}", "link": link}]),
            content_type="application/rss+xml",
        )
        feeds.append({"name": f"healthy{n}", "url": loopback_site.url(f"/healthy{n}.xml")})
    loopback_site.add("/deep.xml", nested_feed(), content_type="application/rss+xml")
    feeds.insert(2, {"name": "deep", "url": loopback_site.url("/deep.xml")})
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0, "timeout": "2s"},
        feeds=feeds,
    )
    run = banwatch(config, "crawl", "feeds", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["stored"] == 5
    status = _status(config)
    for n in range(5):
        assert status[f"healthy{n}"]["failures"] == 0, status[f"healthy{n}"]
        assert status[f"healthy{n}"]["last_error"] is None
    assert "nested deeper than 128 levels" in status["deep"]["last_error"]


@pytest.mark.slow
def test_a_huge_feed_takes_max_entries_newest_first_in_bounded_memory(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    """100,000 new entries, max_entries = 50: the 50 newest are followed, 99,950 counted as
    overflow, the feed's ETag not kept; the next poll reads it in full and takes the next
    50. Peak RSS of the crawl (children included) under 300 MB."""
    base = loopback_site.base
    body = big_feed(100_000, base, datetime.now(UTC))

    def feed(h) -> None:  # type: ignore[no-untyped-def]
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("ETag", '"big-1"')
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    loopback_site.add("/big.xml", feed)
    for i in range(100):  # the 100 newest exist; the others are never asked for
        loopback_site.add(f"/a/{i}.html", article_page(1000 + i, recent(hours=1)))
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={
            "obey_robots": False,
            "retries": 0,
            "max_entries": 50,
            "timeout": "10s",
            "parse_timeout": "5m",  # a loaded CI machine; a few seconds on an idle one
            "max_size": 20 * 1024 * 1024,
        },
        feeds=[{"name": "big", "url": loopback_site.url("/big.xml")}],
    )
    child = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env=loopback_env(),
    )
    assert child.returncode == 0, child.stderr
    stats, peak_mb = json.loads(child.stdout)
    assert stats["stored"] == 50
    asked = {p for p in loopback_site.hits if p.startswith("/a/")}
    assert asked == {f"/a/{i}.html" for i in range(50)}  # the newest 50
    assert peak_mb < 300, peak_mb
    # The parse runs in a child of the forkserver, which the crawl does not wait for, so
    # its memory is measured on its own: the same document through read_feed.
    # Alone it measured 130-162 MB; once, inside a full suite run on a loaded machine,
    # 373 MB (not understood yet): a loose bound here, the crawl's bound above is the rule.
    parse_mb = _parse_peak_mb(body, tmp_path)
    assert parse_mb < 600, parse_mb
    print(f"100,000-entry feed: crawl peak RSS {peak_mb:.0f} MB, parse {parse_mb:.0f} MB")

    second = banwatch(config, "crawl", "feeds", "--source", "big", "--json")
    assert json.loads(second.stdout)["stored"] == 50
    asked = {p for p in loopback_site.hits if p.startswith("/a/")}
    assert asked == {f"/a/{i}.html" for i in range(100)}  # the next 50
    feed_requests = [h.get("If-None-Match") for p, h in loopback_site.requests if p == "/big.xml"]
    assert feed_requests == [None, None]  # no validator kept while entries were left over


def _parse_peak_mb(body: bytes, tmp_path: Path) -> float:
    path = tmp_path / "big.xml"
    script = (
        "import resource, sys; from crawler.feedreader import read_feed; "
        "f = read_feed(open(sys.argv[1], 'rb').read(), 'http://127.0.0.1/f', max_bytes=1 << 30); "
        "print(len(f.entries), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    path.write_bytes(body)
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=REPO
    )
    count, peak = run.stdout.split()
    assert int(count) == 100_000, run.stderr
    return float(peak)


# The crawl in a child process: the peak RSS of the crawl it runs.
_MEASURED = """
import json, resource, subprocess, sys
run = subprocess.run(
    [sys.executable, "-m", "monitor.cli", "--config", sys.argv[1], "crawl", "feeds", "--json"],
    capture_output=True, text=True,
)
sys.stderr.write(run.stderr)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps([json.loads(run.stdout), peak]))
sys.exit(run.returncode)
"""
