"""OPML: ``sources export`` then ``sources import`` into a fresh database then ``export``
again gives the same sources; files written the way Miniflux and FreshRSS write theirs
(nested category outlines, their own attributes and namespaces) import; duplicates are
skipped and reported, bad entries named."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main

# Written the way Miniflux's export writes it (v2: <outline text="Category"> holding feed
# outlines with title, text, xmlUrl and htmlUrl; no type attribute).
MINIFLUX = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
    <head>
        <title>Miniflux</title>
        <dateCreated>Tue, 01 Dec 2026 09:00:00 UTC</dateCreated>
    </head>
    <body>
        <outline text="Platforms">
            <outline title="Platform Policy Blog" text="Platform Policy Blog" xmlUrl="https://policy.example.com/feed/" htmlUrl="https://policy.example.com/"></outline>
            <outline title="Trust &amp; Safety Weekly" text="Trust &amp; Safety Weekly" xmlUrl="https://tsweekly.example.net/rss.xml" htmlUrl="https://tsweekly.example.net/"></outline>
        </outline>
        <outline text="World news">
            <outline title="Wire Service" text="Wire Service" xmlUrl="https://wire.example.org/world.atom" htmlUrl="https://wire.example.org/"></outline>
            <outline title="Wire Service again" text="Wire Service again" xmlUrl="https://wire.example.org/world.atom" htmlUrl="https://wire.example.org/"></outline>
        </outline>
    </body>
</opml>
"""

# Written the way FreshRSS writes it: its own namespace, type="rss", description, nested
# categories, a dynamic-OPML outline, and a feed outline missing its xmlUrl.
FRESHRSS = """<?xml version="1.0" encoding="UTF-8"?>
<opml xmlns:frss="https://freshrss.org/opml" version="2.0">
	<head>
		<title>FreshRSS</title>
		<dateCreated>Tue, 01 Dec 2026 09:00:00 +0000</dateCreated>
	</head>
	<body>
		<outline text="Tech">
			<outline text="Regulators" >
				<outline text="Digital Regulator" type="rss" xmlUrl="https://regulator.example.eu/news.rss" htmlUrl="https://regulator.example.eu/" description="Press releases" frss:cssFullContent="article"/>
			</outline>
			<outline text="Gadget Desk" type="rss" xmlUrl="https://gadgets.example.com/feed.json" htmlUrl="https://gadgets.example.com/" description=""/>
			<outline text="Broken entry" type="rss" htmlUrl="https://broken.example.com/"/>
			<outline text="Platform Policy Blog" type="rss" xmlUrl="https://policy.example.com/feed" htmlUrl="https://policy.example.com/"/>
		</outline>
		<outline text="Uncategorized">
			<outline text="Not a web feed" type="rss" xmlUrl="ftp://files.example.com/feed.xml"/>
		</outline>
	</body>
</opml>
"""


def _config(tmp_path: Path, name: str, db_url: str, extra: str = "") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n{extra}')
    return str(path)


def _cli(config: str, *args: str) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["--config", config, *args])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.exit_code, run.output


def _sources(config: str) -> list[tuple]:  # type: ignore[type-arg]
    code, out = _cli(config, "sources", "list", "--json")
    assert code == 0, out
    return sorted(
        (r["name"], r["kind"], r["url"], r["category"], r["interval"]) for r in json.loads(out)
    )


def _without_date(opml: str) -> str:
    return re.sub(r"<dateCreated>.*?</dateCreated>", "", opml)


def test_import_miniflux_export(tmp_path: Path, db_url: str) -> None:
    config = _config(tmp_path, "a", db_url)
    path = tmp_path / "miniflux.opml"
    path.write_text(MINIFLUX)
    code, out = _cli(config, "sources", "import", str(path), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["added"] == ["Platform Policy Blog", "Trust & Safety Weekly", "Wire Service"]
    assert report["skipped"] == [{"title": "Wire Service again",
                                  "url": "https://wire.example.org/world.atom",
                                  "known_as": "Wire Service"}]  # fmt: skip
    assert report["bad"] == []
    assert _sources(config) == [
        ("Platform Policy Blog", "feed", "https://policy.example.com/feed/", "Platforms", 900),
        ("Trust & Safety Weekly", "feed", "https://tsweekly.example.net/rss.xml", "Platforms",
         900),
        ("Wire Service", "feed", "https://wire.example.org/world.atom", "World news", 900),
    ]  # fmt: skip


def test_import_freshrss_export_after_miniflux(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, "a", sqlite_url)
    (tmp_path / "miniflux.opml").write_text(MINIFLUX)
    (tmp_path / "freshrss.opml").write_text(FRESHRSS)
    assert _cli(config, "sources", "import", str(tmp_path / "miniflux.opml"))[0] == 0
    code, out = _cli(config, "sources", "import", str(tmp_path / "freshrss.opml"), "--interval",
                     "1h")  # fmt: skip
    assert code == 0, out
    assert "2 added, 1 duplicates skipped, 2 bad entries" in out
    # The duplicate differs only by its trailing slash; it is named with the source it is.
    assert "https://policy.example.com/feed is already source 'Platform Policy Blog'" in out
    assert "bad entry outline 5 'Broken entry': no xmlUrl" in out
    assert "bad entry outline 8 'Not a web feed': 'ftp://files.example.com/feed.xml' is not" in out
    rows = {r[0]: r for r in _sources(config)}
    assert rows["Digital Regulator"][3] == "Tech / Regulators"  # nested folders
    assert rows["Gadget Desk"][3:] == ("Tech", 3600)


def test_round_trip_export_import_export(tmp_path: Path, db_url: str) -> None:
    # settings.toml sources and database sources (CLI, OPML, a sitemap, a site) together.
    first = _config(
        tmp_path,
        "first",
        f"sqlite:///{tmp_path / 'first.db'}",
        '\n[[feeds]]\nname = "wire"\nurl = "https://wire.example/rss"\ninterval = "30m"\n'
        '\n[[sitemaps]]\nname = "news map"\nurl = "https://map.example/news.xml"\n'
        '\n[[sites]]\nname = "press room"\nstart_urls = ["https://press.example/"]\n'
        'article_links = "/releases/"\n',
    )
    assert _cli(first, "init")[0] == 0
    (tmp_path / "miniflux.opml").write_text(MINIFLUX)
    assert _cli(first, "sources", "import", str(tmp_path / "miniflux.opml"))[0] == 0
    assert _cli(first, "sources", "disable", "Wire Service")[0] == 0
    code, exported = _cli(first, "sources", "export")
    assert code == 0, exported
    root = ET.fromstring(exported)
    assert root.tag == "opml" and root.get("version") == "2.0"
    feeds = [o for o in root.iter("outline") if o.get("xmlUrl")]
    assert len(feeds) == 4 and all(o.get("type") == "rss" and o.get("text") for o in feeds)
    (tmp_path / "export.opml").write_text(exported)

    second = _config(tmp_path, "second", db_url)  # a fresh database, no settings sources
    code, out = _cli(second, "sources", "import", str(tmp_path / "export.opml"))
    assert code == 0, out
    assert "6 added, 0 duplicates skipped, 0 bad entries" in out
    code, again = _cli(second, "sources", "export")
    assert _without_date(again) == _without_date(exported)
    assert _sources(second) == _sources(first)
    listed = {r["name"]: r for r in json.loads(_cli(second, "sources", "list", "--json")[1])}
    assert listed["Wire Service"]["enabled"] is False
    assert listed["press room"]["kind"] == "site"


def test_not_opml_is_one_line(tmp_path: Path, sqlite_url: str) -> None:
    config = _config(tmp_path, "a", sqlite_url)
    (tmp_path / "x.opml").write_text("<html><body>nope</body></html>")
    code, out = _cli(config, "sources", "import", str(tmp_path / "x.opml"))
    assert code == 1 and "OPML: the root element is <html>, expected <opml>" in out
    (tmp_path / "y.opml").write_text("<opml><body><outline")
    code, out = _cli(config, "sources", "import", str(tmp_path / "y.opml"))
    assert code == 1 and "OPML: not well-formed XML" in out and "Traceback" not in out
