"""End to end on the five real seed articles: served as HTML pages and an RSS feed on
127.0.0.1, collected by `banwatch run --once`, read back with `banwatch hits --json` and
`banwatch events --json` (../shared/seeds/EXPECTED.md says what must come out)."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import SEEDS, LoopbackSite, need_shared

# file stem -> (published, outlet host); dates from EXPECTED.md, outlets fictional.
SEED_META = {
    "000_1abd65fdbf8276e3": ("2017-10-26T14:00:00+00:00", "outlet-a.example"),
    "001_689fb8cb99268af5": ("2017-10-26T18:00:00+00:00", "outlet-b.example"),
    "002_3143711b25f0c45d": ("2018-04-21T09:00:00+00:00", "outlet-c.example"),
    "003_e5caa77ed66679d5": ("2017-09-08T10:28:00+00:00", "outlet-d.example"),
    "004_5cac40e9df6ef526": ("2024-09-24T12:00:00+00:00", "outlet-e.example"),
}


def seed_page(text: str, canonical: str, published: str) -> str:
    """A seed's plain text as an article page: first line the headline, each line a paragraph."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title = lines[0] if lines else "untitled"
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines[1:])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><article><h1>{html.escape(title)}</h1>{body}</article></body></html>"
    )


def serve_seeds(site: LoopbackSite) -> str:
    items = []
    for stem, (published, host) in SEED_META.items():
        text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
        canonical = f"https://{host}/news/{stem}"
        site.add(f"/articles/{stem}.html", seed_page(text, canonical, published))
        title = next(line.strip() for line in text.splitlines() if line.strip())
        when = format_datetime(datetime.fromisoformat(published).astimezone(UTC))
        items.append(
            f"<item><title>{html.escape(title)}</title>"
            f"<link>{site.url(f'/articles/{stem}.html')}?utm_source=rss</link>"
            f"<guid>{stem}</guid><pubDate>{when}</pubDate></item>"
        )
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>seeds</title><link>{site.base}/</link><description>seed stories</description>"
        + "".join(items)
        + "</channel></rss>"
    )
    return site.add("/feed.xml", rss, content_type="application/rss+xml")


def banwatch(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_run_once_finds_the_seed_bans(loopback_site: LoopbackSite, db_url: str, tmp_path: Path):
    need_shared(SEEDS)
    feed_url = serve_seeds(loopback_site)
    config = tmp_path / "settings.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        f'[[feeds]]\nname = "seeds"\nurl = "{feed_url}"\ninterval = "15m"\n\n'
        "[crawler]\ndownload_delay = 0\nautothrottle = false\n\n"
        "[digest]\nenabled = false\n"
    )
    run = banwatch(config, "run", "--once")
    assert run.returncode == 0, run.stderr

    hits = json.loads(banwatch(config, "hits", "--json").stdout)
    assert {
        "url",
        "title",
        "published",
        "platform",
        "action",
        "target",
        "score",
        "evidence",
    } <= set(hits[0])
    found = {(h["platform"], h["action"], h["target"]) for h in hits}
    assert ("Twitter", "ad_ban", "RT") in found
    assert ("Twitter", "ad_ban", "Sputnik") in found
    assert ("Twitter", "ad_ban", "Kaspersky") in found
    assert any(p == "Facebook" and t == "Internet Research Agency" for p, _, t in found)
    assert any(p == "TikTok" and t == "RT" for p, _, t in found)
    assert any(p == "TikTok" and t == "Sputnik" for p, _, t in found)
    assert any(p == "Meta" and t == "RT" for p, _, t in found)
    # No hit from page clutter: every hit's platform is one the seeds really report.
    assert {p for p, _, _ in found} <= {"Twitter", "Facebook", "TikTok", "Meta"}

    events = json.loads(banwatch(config, "events", "--json").stdout)
    rt_ad_ban = [
        e
        for e in events
        if (e["platform"], e["action"]) == ("Twitter", "ad_ban") and "RT" in e["targets"]
    ]
    assert len(rt_ad_ban) == 1, "seeds 000 and 001 report one ban"
    assert "Sputnik" in rt_ad_ban[0]["targets"]
    assert rt_ad_ban[0]["outlet_count"] == 2
    assert len(rt_ad_ban[0]["urls"]) == 2

    # A second run fetches no article again and changes nothing.
    article_hits = sum(n for path, n in loopback_site.hits.items() if path.startswith("/articles/"))
    assert banwatch(config, "run", "--once").returncode == 0
    again = sum(n for path, n in loopback_site.hits.items() if path.startswith("/articles/"))
    assert again == article_hits
    assert json.loads(banwatch(config, "events", "--json").stdout) == events

    status = json.loads(banwatch(config, "status", "--json").stdout)
    assert status["articles"] == 5
    (source,) = status["sources"]
    assert {"name", "url", "last_ok", "last_error", "failures", "next_poll"} <= set(source)
    assert source["failures"] == 0 and source["last_ok"]
    assert set(status["deliveries"]) >= {"pending", "sent", "dead"}
