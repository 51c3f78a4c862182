"""Every real-world feed in ../shared/corpus/feeds parses; the truncated Reuters feed is a
clean failure. First in-process (the reader alone), then through a real crawl of all 37
served on 127.0.0.1, with the network sealed so their article links go nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.feedreader import read_feed
from monitor.errors import ParseError
from tests.conftest import LoopbackSite, need_shared
from tests.crawl_site import (
    FEEDS_DIR,
    banwatch,
    corpus_feeds,
    failure_lines,
    feed_content_type,
    sealed_env,
    write_settings,
)

REUTERS = "rss_2.0_invalid_1.xml"  # truncated before </channel>: zero items
NO_LINKS = {"utf-16le-bom.xml": 0, "koi8r.xml": 0}  # an empty channel; an item without a link


@pytest.fixture(scope="module")
def feeds() -> list[Path]:
    need_shared(FEEDS_DIR)
    return corpus_feeds()


def test_every_corpus_feed_parses_except_the_truncated_one(feeds: list[Path]):
    assert len(feeds) == 37
    for path in feeds:
        url = f"http://127.0.0.1:8/feeds/{path.name}"
        if path.name == REUTERS:
            with pytest.raises(ParseError, match="not a feed"):
                read_feed(path.read_bytes(), url, feed_content_type(path))
            continue
        feed = read_feed(path.read_bytes(), url, feed_content_type(path))
        expected = NO_LINKS.get(path.name)
        if expected is None:
            assert feed.entries, path.name
        else:
            assert len(feed.entries) == expected, path.name
        assert all(e.link.startswith(("http://", "https://")) for e in feed.entries), path.name


@pytest.mark.parametrize(
    ("name", "title_part"),
    [
        ("uolNoticias.rss", "simulações"),  # undeclared ISO-8859-1
        ("encoding.rss", "Mãe de utente"),  # declared ISO-8859-1
        ("kc0011.rss", "建国"),  # GB2312
        ("large_atom_feed_that_needs_css_sanitisation.xml", "Невидимая"),
        ("customfields.rss", "ISUZU"),  # CDATA with heavy whitespace
    ],
)
def test_encodings_are_decoded(feeds: list[Path], name: str, title_part: str):
    path = FEEDS_DIR / name
    feed = read_feed(path.read_bytes(), "http://127.0.0.1:8/f", feed_content_type(path))
    assert any(title_part in (e.title or "") for e in feed.entries)
    assert all(e.title == e.title.strip() for e in feed.entries if e.title)


def test_undeclared_koi8r_is_guessed(feeds: list[Path]):
    import feedparser

    from crawler.feedreader import _with_charset

    body = (FEEDS_DIR / "koi8r.xml").read_bytes()
    parsed = feedparser.parse(body, response_headers={"content-type": _with_charset(body, "")})
    assert parsed.entries[0].title == "Как пережить новогоднюю ночь"


def test_json_feed_and_dialects(feeds: list[Path]):
    def versions(name: str) -> str:
        path = FEEDS_DIR / name
        return read_feed(path.read_bytes(), "http://127.0.0.1:8/f", feed_content_type(path)).version

    assert versions("jsonfeed_elastic_1.1.json") == "json11"
    assert versions("rss_2.0_reddit.xml") == "atom10"  # named rss, really Atom
    assert versions("rss_1.0_debian.xml") == "rss10"
    assert versions("rss_0.91_encoding_2.xml").startswith("rss09")
    json_feed = read_feed((FEEDS_DIR / "jsonfeed_elastic_1.1.json").read_bytes(), "http://x/", "")
    assert len(json_feed.entries) == 3 and all(e.title for e in json_feed.entries)


def test_feedburner_original_link_and_guid_urls(feeds: list[Path]):
    feed = read_feed(
        (FEEDS_DIR / "feedburner.atom").read_bytes(), "http://x/", "application/atom+xml"
    )
    assert not any("feedproxy.google.com" in e.link for e in feed.entries)


@pytest.mark.slow
def test_a_crawl_of_all_corpus_feeds(
    feeds: list[Path], loopback_site: LoopbackSite, tmp_path: Path
):
    sources = []
    for path in feeds:
        loopback_site.add(
            f"/corpus/{path.name}", path.read_bytes(), content_type=feed_content_type(path)
        )
        sources.append({"name": path.name, "url": loopback_site.url(f"/corpus/{path.name}")})
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={
            "obey_robots": False,
            "retries": 0,
            "concurrency": 64,
            "concurrency_per_domain": 16,
        },
        feeds=sources,
    )
    with _refusing_proxy() as proxy:
        run = banwatch(config, "crawl", "feeds", "--json", env=sealed_env(proxy))
        assert run.returncode == 0, run.stderr
        status = json.loads(banwatch(config, "status", "--json").stdout)
        # The entries were followed, to the refusing proxy (https ones as CONNECT, which it
        # refuses without counting): nothing left loopback.
        assert sum(proxy.hits.values()) > 100
    by_name = {s["name"]: s for s in status["sources"]}
    assert len(by_name) == 37
    for name, source in by_name.items():
        if name == REUTERS:
            assert source["failures"] == 1 and "not a feed" in source["last_error"]
            assert len(failure_lines(run.stderr, name)) == 1
        else:
            assert source["failures"] == 0 and source["last_ok"], source
    stats = json.loads(run.stdout)
    assert stats["sources_ok"] == 36 and stats["sources_failed"] == 1
    assert stats["stored"] == 0  # every article link pointed off the box


def _refusing_proxy():  # a context manager yielding a LoopbackSite with no routes
    from tests.crawl_site import serve_loopback

    return serve_loopback()
