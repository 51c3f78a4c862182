"""JSON Feed 1.0/1.1 (crawler.jsonfeed): the spec's fields, read with the stdlib; and end to
end: a page advertising its JSON Feed is added with ``sources add``, ``crawl feeds`` polls
that database source from a loopback server, follows its items and stores the bans."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.feedreader import read_feed
from crawler.jsonfeed import read_json_feed
from monitor.cli import main
from monitor.errors import ParseError
from tests.conftest import LoopbackSite
from tests.crawl_site import banwatch, write_settings

BASE = "https://news.example.org"


def _doc(**extra: object) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "T", **extra}
    ).encode()


def test_the_spec_fields() -> None:
    body = _doc(
        home_page_url=BASE + "/",
        items=[
            {
                "id": "tag:news.example.org,2024:1",
                "url": "/2024/09/ban.html",
                "external_url": "https://platform.example/blog/policy",
                "title": "  Platform bans an outlet ",
                "content_html": "<p>The platform <b>banned</b> it.</p>",
                "content_text": "The platform banned it.",
                "summary": "A ban.",
                "date_published": "2024-09-16T10:00:00Z",
                "date_modified": "2024-09-16T12:30:00+02:00",
                "authors": [{"name": "A. Writer", "url": "https://x"}, {"url": "no name"}],
            },
            {
                "id": 42,
                "external_url": "https://elsewhere.example/story",
                "date_modified": "2024-09-17T08:00:00",
            },
            {"id": "https://news.example.org/by-id", "title": "No url: the id is one"},
            {"id": "x", "content_text": "a note without any link", "date_published": "soon"},
            "not an object",
        ],
    )
    feed = read_json_feed(body, BASE + "/feed.json")
    assert (feed.version, feed.title, feed.home_page_url, feed.skipped) == (
        "1.1", "T", BASE + "/", 1
    )  # fmt: skip
    first, second, third, fourth = feed.items
    assert first.url == BASE + "/2024/09/ban.html"  # resolved against home_page_url
    assert first.link == first.url and first.title == "Platform bans an outlet"
    assert first.content_html.startswith("<p>") and first.content_text.endswith("banned it.")
    assert first.summary == "A ban." and first.authors == ("A. Writer",)
    assert first.published == datetime(2024, 9, 16, 10, tzinfo=UTC)
    assert first.date_modified == datetime(2024, 9, 16, 10, 30, tzinfo=UTC)
    assert (second.id, second.link) == ("42", "https://elsewhere.example/story")
    assert second.published == datetime(2024, 9, 17, 8, tzinfo=UTC)  # a zone-less date is UTC
    assert third.link == "https://news.example.org/by-id"
    assert fourth.link is None and fourth.published is None
    # Through the feed reader the spider uses: entries with a link, the rest skipped.
    parsed = read_feed(body, BASE + "/feed.json", "application/feed+json")
    assert parsed.version == "json11" and parsed.skipped == 2
    assert [e.link for e in parsed.entries] == [
        BASE + "/2024/09/ban.html",
        "https://elsewhere.example/story",
        "https://news.example.org/by-id",
    ]
    assert parsed.entries[0].guid == "tag:news.example.org,2024:1"


def test_json_feed_1_0_author_and_bad_documents() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [{"id": "1", "url": BASE + "/a", "author": {"name": "Solo"}}],
        }
    ).encode()
    feed = read_json_feed(body, BASE)
    assert feed.version == "1" and feed.items[0].authors == ("Solo",)
    for bad, why in [
        (b"{not json", "invalid JSON"),
        (b'{"version": "2", "items": []}', "without a jsonfeed.org version"),
        (_doc(items={"a": 1}), "without items"),
    ]:
        with pytest.raises(ParseError, match=why):
            read_json_feed(bad, BASE)


def _article(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    )


@pytest.mark.slow
def test_a_json_feed_source_added_from_the_cli_is_crawled_end_to_end(
    loopback_site: LoopbackSite, tmp_path: Path, sqlite_url: str
) -> None:
    site = loopback_site
    now = datetime.now(UTC)
    stories = {
        "/2024/ads.html": _article(
            "Twitter bans ads from RT and Sputnik",
            "Twitter said on Thursday it has banned all advertising from accounts owned by "
            "Russia Today (RT) and Sputnik, effective immediately.",
            "The company said the decision followed a review of the 2016 election and that "
            "the money the two outlets had spent would go to research on civic engagement.",
            "A spokesperson for RT called the move regrettable and said the channel had been "
            "encouraged to advertise by the company's own sales staff.",
        ),
        "/2024/recipes.html": _article(
            "A new bakery opens downtown",
            "A family bakery opened its doors on Main Street this week, selling sourdough, rye "
            "and cinnamon rolls from five in the morning.",
            "The owners, who trained in Lyon, plan to add a small cafe in the spring and to "
            "offer weekend baking classes for children and adults.",
        ),
    }
    for path, html in stories.items():
        site.add(path, html)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Example Wire (JSON)",
        "home_page_url": site.url("/"),
        "items": [
            {
                "id": f"wire-{i}",
                "url": path,  # relative: resolved against home_page_url
                "title": html.split("<title>")[1].split("</title>")[0],
                "content_text": "see the page",
                "date_published": (now - timedelta(hours=i + 1)).isoformat(),
            }
            for i, (path, html) in enumerate(stories.items())
        ],
    }
    site.add("/feed.json", json.dumps(feed), content_type="application/feed+json")
    site.add(
        "/",
        "<!doctype html><html><head><title>Example Wire</title><link rel='alternate' "
        "type='application/feed+json' title='Example Wire (JSON)' href='/feed.json'></head>"
        "<body><p>Home</p></body></html>",
    )
    config = write_settings(tmp_path / "settings.toml", sqlite_url)
    run = CliRunner().invoke(main, ["--config", str(config), "sources", "add", site.url("/")])
    assert run.exit_code == 0, run.output
    assert "added feed 'Example Wire (JSON)'" in run.output

    site.hits.clear()  # discovery fetched the page and the feed; count the crawl's requests
    crawl = banwatch(config, "crawl", "feeds", "--json")
    assert crawl.returncode == 0, crawl.stderr
    assert site.hits["/feed.json"] == 1
    assert site.hits["/2024/ads.html"] == 1 and site.hits["/2024/recipes.html"] == 1
    events = json.loads(banwatch(config, "events", "--json").stdout)
    assert [(e["platform"], e["action"], sorted(e["targets"])) for e in events] == [
        ("Twitter", "ad_ban", ["RT", "Sputnik"])
    ]
    assert events[0]["urls"] == [site.url("/2024/ads.html")]
    status = json.loads(banwatch(config, "status", "--json").stdout)
    (source,) = status["sources"]
    assert (source["origin"], source["failures"]) == ("cli", 0) and source["last_ok"]
