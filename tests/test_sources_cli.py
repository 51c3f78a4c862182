"""``banwatch sources add|discover|list|remove|enable|disable`` against real pages served on
127.0.0.1: a home page advertising its feed with ``<link rel="alternate">``, one whose feed
is only at /feed, one with no feed at all, one whose robots.txt names a news sitemap, and a
page linking to a feed on a private host (127.0.0.2) that must not be fetched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.conftest import LoopbackSite

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>{base}/</link>
<description>news</description>
<item><title>Platform bars an outlet</title><link>{base}/news/1.html</link>
<guid>{base}/news/1.html</guid><pubDate>Mon, 16 Sep 2024 10:00:00 GMT</pubDate></item>
<item><title>Second story</title><link>{base}/news/2.html</link></item>
</channel></rss>
"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><id>{base}/</id>
<updated>2024-09-16T10:00:00Z</updated>
<entry><title>One</title><id>{base}/c/1</id><link href="{base}/c/1"/>
<updated>2024-09-16T10:00:00Z</updated></entry></feed>
"""
NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/news/1.html</loc><news:news><news:publication><news:name>Daily</news:name>
<news:language>en</news:language></news:publication>
<news:publication_date>2024-09-16</news:publication_date><news:title>One</news:title>
</news:news></url></urlset>
"""


def page(*head: str, body: str = "<p>Hello.</p>") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Daily Example</title>"
        + "".join(head)
        + f"</head><body>{body}</body></html>"
    )


def serve_feed(site: LoopbackSite, path: str, template: str, title: str, kind: str) -> str:
    return site.add(path, template.format(base=site.base, title=title), content_type=kind)


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> str:
    path = tmp_path / "settings.toml"
    path.write_text(
        f'[database]\nurl = "{sqlite_url}"\n\n[crawler]\ntimeout = "5s"\n\n'
        '[[feeds]]\nname = "wire"\nurl = "https://wire.example/rss"\n'
    )
    return str(path)


def cli(config: str, *args: str) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["--config", config, *args])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.exit_code, run.output


def listed(config: str) -> dict[str, dict]:  # type: ignore[type-arg]
    code, out = cli(config, "sources", "list", "--json")
    assert code == 0, out
    return {row["name"]: row for row in json.loads(out)}


def test_add_a_home_page_adds_the_feed_it_advertises(
    loopback_site: LoopbackSite, config: str
) -> None:
    site = loopback_site
    serve_feed(site, "/news/feed.xml", RSS, "Daily Example news", "application/rss+xml")
    serve_feed(site, "/comments/feed.xml", ATOM, "Comments on Daily Example", "text/xml")
    site.add(
        "/",
        page(
            '<link rel="alternate" type="application/atom+xml" title="Comments"'
            ' href="/comments/feed.xml">',
            '<link rel="alternate" type="application/rss+xml" href="news/feed.xml">',
            '<link rel="stylesheet" href="/style.css">',
        ),
    )
    code, out = cli(config, "sources", "add", site.url("/"))
    assert code == 0, out
    assert "found on" in out and "Comments" in out  # the table of what was found
    # the news feed, not the comments one
    assert f"added feed 'Daily Example news': {site.url('/news/feed.xml')}" in out
    rows = listed(config)
    assert rows["Daily Example news"]["url"] == site.url("/news/feed.xml")
    assert rows["Daily Example news"]["origin"] == "cli"
    assert rows["Daily Example news"]["interval"] == 900
    assert rows["wire"]["origin"] == "settings"
    assert "Comments on Daily Example" not in rows
    # Adding it again names the source that has it.
    code, out = cli(config, "sources", "add", site.url("/news/feed.xml"))
    assert code == 1 and "already a source, 'Daily Example news'" in out
    # --all takes both feeds the page offers (the one known already is reported).
    code, out = cli(config, "sources", "add", site.url("/"), "--all", "--interval", "1h")
    assert code == 0, out
    assert "not added: " + site.url("/news/feed.xml") in out
    assert listed(config)["Comments"]["interval"] == 3600


def test_a_page_whose_feed_is_only_at_slash_feed(loopback_site: LoopbackSite, config: str):
    site = loopback_site
    site.add("/blog/", page(body="<h1>Blog</h1>"))
    serve_feed(site, "/feed", RSS, "Only at /feed", "application/rss+xml; charset=utf-8")
    code, out = cli(config, "sources", "discover", site.url("/blog/"), "--json")
    assert code == 0, out
    found = json.loads(out)
    assert found["best"] == site.url("/feed")
    assert [(f["how"], f["format"], f["entries"]) for f in found["found"]] == [
        ("usual path", "rss", 2)
    ]
    code, out = cli(config, "sources", "add", site.url("/blog/"), "--name", "My blog")
    assert code == 0, out
    assert listed(config)["My blog"]["url"] == site.url("/feed")


def test_a_page_without_any_feed_says_so(loopback_site: LoopbackSite, config: str) -> None:
    site = loopback_site
    site.add("/", page(body="<p>No feeds here.</p>"))
    site.add("/rss", "<html><body>not a feed</body></html>")  # a page where a feed might be
    code, out = cli(config, "sources", "discover", site.url("/"))
    assert code == 1
    assert "no feed found" in out and "Traceback" not in out
    assert "tried " + site.url("/rss") + ": not a feed (text/html)" in out
    code, out = cli(config, "sources", "add", site.url("/"))
    assert code == 1 and "no feed found" in out and "--kind site" in out
    assert set(listed(config)) == {"wire"}


def test_a_news_sitemap_from_robots_txt(loopback_site: LoopbackSite, config: str) -> None:
    site = loopback_site
    site.add("/", page())
    site.add("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {site.base}/sitemap-news.xml\n",
             content_type="text/plain")  # fmt: skip
    serve_feed(site, "/sitemap-news.xml", NEWS_SITEMAP, "", "application/xml")
    code, out = cli(config, "sources", "add", site.url("/"))
    assert code == 0, out
    (row,) = [r for r in listed(config).values() if r["origin"] == "cli"]
    assert (row["kind"], row["url"]) == ("sitemap", site.url("/sitemap-news.xml"))


def test_the_url_itself_may_be_the_feed(loopback_site: LoopbackSite, config: str) -> None:
    url = serve_feed(loopback_site, "/atom", ATOM, "Atom only", "application/atom+xml")
    code, out = cli(config, "sources", "add", url, "--name", "atom")
    assert code == 0, out
    assert listed(config)["atom"]["url"] == url


def test_a_feed_on_a_private_host_found_in_a_page_is_not_fetched(
    loopback_site: LoopbackSite, private_site: LoopbackSite, config: str
) -> None:
    elsewhere = serve_feed(private_site, "/feed.xml", RSS, "Private", "application/rss+xml")
    loopback_site.add(
        "/", page(f'<link rel="alternate" type="application/rss+xml" href="{elsewhere}">')
    )
    code, out = cli(config, "sources", "discover", loopback_site.url("/"), "--json")
    assert code == 1, out
    (tried,) = [t for t in json.loads(out)["tried"] if t["url"] == elsewhere]
    assert "refused 127.0.0.2 (loopback)" in tried["why"]
    assert not private_site.hits  # never contacted
    # The operator naming that host is another matter: it is theirs.
    code, out = cli(config, "sources", "add", elsewhere, "--name", "private")
    assert code == 0, out


def test_remove_disable_enable(loopback_site: LoopbackSite, config: str) -> None:
    url = serve_feed(loopback_site, "/feed.xml", RSS, "Feed", "application/rss+xml")
    assert cli(config, "sources", "add", url, "--name", "mine")[0] == 0
    code, out = cli(config, "sources", "remove", "wire")
    assert code == 2
    assert "declared in settings.toml" in out and "sources disable wire" in out
    assert cli(config, "sources", "disable", "wire")[0] == 0
    assert cli(config, "sources", "disable", "mine")[0] == 0
    rows = listed(config)
    assert rows["wire"]["enabled"] is False and rows["mine"]["enabled"] is False
    code, out = cli(config, "status", "--json")
    assert {s["name"]: s["origin"] for s in json.loads(out)["sources"]} == {
        "wire": "settings",
        "mine": "cli",
    }
    assert cli(config, "sources", "enable", "wire")[0] == 0
    assert listed(config)["wire"]["enabled"] is True
    assert cli(config, "sources", "remove", "mine")[0] == 0
    assert set(listed(config)) == {"wire"}
    code, out = cli(config, "sources", "remove", "mien")
    assert code == 2 and "no such source" in out


def test_a_site_needs_its_article_links(loopback_site: LoopbackSite, config: str) -> None:
    url = loopback_site.add("/press/", page())
    code, out = cli(config, "sources", "add", url, "--kind", "site")
    assert code == 2 and "--article-links" in out
    code, out = cli(
        config, "sources", "add", url, "--kind", "site", "--article-links", "/press/\\d+"
    )
    assert code == 0, out
    (row,) = [r for r in listed(config).values() if r["origin"] == "cli"]
    assert row["kind"] == "site"


@pytest.mark.slow
def test_crawl_polls_sources_added_from_the_cli(
    loopback_site: LoopbackSite, tmp_path: Path, sqlite_url: str
) -> None:
    """A feed and a site added with ``sources add`` are polled by ``crawl all``; a disabled
    one is not; ``crawl --source`` accepts their names."""
    from tests.crawl_site import banwatch, write_settings

    site = loopback_site
    for n in (1, 2, 3):
        site.add(
            f"/press/{n}.html",
            page(body=f"<article><h1>Release {n}</h1><p>{'Text of the release. ' * 20}"
                      f"Number {n} of three, each with words of its own: {'abc' * n}.</p></article>"),
        )  # fmt: skip
    site.add("/press/", page(body="".join(f'<a href="/press/{n}.html">r{n}</a>' for n in (1, 2, 3))
                             + '<a href="/about.html">about</a>'))  # fmt: skip
    serve_feed(site, "/feed.xml", RSS, "Feed", "application/rss+xml")
    site.add("/news/1.html", page(body="<article><p>" + "One story here. " * 30 + "</p></article>"))
    site.add(
        "/news/2.html", page(body="<article><p>" + "Two stories there. " * 30 + "</p></article>")
    )
    config = str(write_settings(tmp_path / "settings.toml", sqlite_url))
    assert cli(config, "sources", "add", site.url("/press/"), "--kind", "site",
               "--article-links", r"/press/\d+\.html$", "--name", "press")[0] == 0  # fmt: skip
    assert cli(config, "sources", "add", site.url("/feed.xml"), "--name", "feed")[0] == 0
    assert cli(config, "sources", "disable", "feed")[0] == 0
    site.hits.clear()
    crawl = banwatch(Path(config), "crawl", "all", "--json")
    assert crawl.returncode == 0, crawl.stderr
    assert {p for p in site.hits if p.startswith("/press/")} == {
        "/press/", "/press/1.html", "/press/2.html", "/press/3.html"
    }  # fmt: skip
    assert "/about.html" not in site.hits and "/feed.xml" not in site.hits  # disabled
    assert cli(config, "sources", "enable", "feed")[0] == 0
    crawl = banwatch(Path(config), "crawl", "feeds", "--source", "feed", "--json")
    assert crawl.returncode == 0, crawl.stderr
    assert site.hits["/feed.xml"] == 1 and site.hits["/news/1.html"] == 1
    rows = listed(config)
    assert rows["press"]["last_ok"] and rows["feed"]["last_ok"]
