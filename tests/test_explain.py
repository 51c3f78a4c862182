"""`banwatch explain FILE|URL`: the page extracted and classified as the pipeline does,
with the verdicts or the nearest misses."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.classify import load_lexicon
from monitor.cli import main
from monitor.config import CrawlerSettings
from monitor.errors import FetchError
from monitor.explain import explain_page, fetch
from tests.conftest import LoopbackSite

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo_site"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "unused.db"}"\n\n'
        '[crawler]\nuser_agent = "banwatch-test/1.0"\nmax_size = 200000\n',
        encoding="utf-8",
    )
    return path


def test_explain_a_saved_file_json(config: Path) -> None:
    page = DEMO / "tiktok-removes-russian-state-media.html"
    result = CliRunner().invoke(main, ["--config", str(config), "explain", str(page), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"title", "published", "language", "text", "verdicts"} <= set(data)
    assert data["title"].startswith("TikTok takes down accounts")
    assert data["published"].startswith("2024-09-24")
    assert data["language"] == "en"
    found = {(v["platform"], v["action"], v["target"]) for v in data["verdicts"]}
    assert ("TikTok", "removal", "RT") in found and ("Meta", "ban", "RT") in found
    assert all(v["evidence"] in data["text"] for v in data["verdicts"])


def test_explain_shows_why_a_lookalike_was_not_flagged(config: Path) -> None:
    page = DEMO / "lawmakers-urge-youtube.html"
    result = CliRunner().invoke(main, ["--config", str(config), "explain", str(page)])
    assert result.exit_code == 0, result.output
    assert "no verdict" in result.output
    assert "nearest misses" in result.output and "call" in result.output


def test_explain_fetches_a_url_with_banwatch_user_agent(
    loopback_site: LoopbackSite, config: Path
) -> None:
    url = loopback_site.add("/story", (DEMO / "twitter-kaspersky-ad-ban.html").read_bytes())
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(v["platform"], v["target"]) for v in data["verdicts"]] == [("Twitter", "Kaspersky")]
    (path, headers), = loopback_site.requests  # fmt: skip
    assert path == "/story"
    assert headers["User-Agent"].startswith("banwatch-test/1.0")


def test_fetch_refuses_pages_over_the_size_limit(loopback_site: LoopbackSite) -> None:
    url = loopback_site.add("/huge", b"<html>" + b"x" * 5000 + b"</html>")
    with pytest.raises(FetchError, match="limit"):
        fetch(url, CrawlerSettings(max_size=1000))


def test_fetch_errors_are_one_clean_line(loopback_site: LoopbackSite, config: Path) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(config), "explain", loopback_site.url("/missing")]
    )
    assert result.exit_code != 0
    assert "HTTP 404" in result.output and "Traceback" not in result.output


def test_explain_page_library_call() -> None:
    result = explain_page(str(DEMO / "league-bans-player.html"), CrawlerSettings(), load_lexicon())
    assert result.verdicts == [] and result.title.startswith("League bans midfielder")


# --- hostile networks: every hop checked, one deadline for the whole fetch -----------------


def test_explain_refuses_a_redirect_to_an_unallowed_host(
    loopback_site: LoopbackSite, private_site: LoopbackSite, config: Path
) -> None:
    target = private_site.add("/inside", (DEMO / "twitter-kaspersky-ad-ban.html").read_bytes())
    url = loopback_site.add("/go", b"", status=302, headers={"Location": target})
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url])
    assert result.exit_code != 0
    assert "refused 127.0.0.2 (loopback)" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert private_site.requests == []


def test_explain_follows_a_redirect_to_an_allowed_host(
    loopback_site: LoopbackSite, private_site: LoopbackSite, config: Path
) -> None:
    target = private_site.add("/inside", (DEMO / "twitter-kaspersky-ad-ban.html").read_bytes())
    url = loopback_site.add("/go", b"", status=302, headers={"Location": target})
    with config.open("a", encoding="utf-8") as fh:
        fh.write('\n[network]\nallow = ["127.0.0.0/8"]\n')
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url, "--json"])
    assert result.exit_code == 0, result.output
    assert private_site.hits["/inside"] == 1


def test_explain_refuses_a_redirect_to_ftp(loopback_site: LoopbackSite, config: Path) -> None:
    url = loopback_site.add("/go", b"", status=301, headers={"Location": "ftp://127.0.0.1/x"})
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url])
    assert result.exit_code != 0
    assert "scheme is not http or https" in result.output and "Traceback" not in result.output


def test_explain_masks_the_password_of_the_url(loopback_site: LoopbackSite, config: Path) -> None:
    port = loopback_site.server.server_address[1]
    url = f"http://reader:hunter2@127.0.0.1:{port}/missing"
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url])
    assert result.exit_code != 0
    assert "hunter2" not in result.output and "reader:***@" in result.output


@pytest.fixture
def trickle(loopback_site: LoopbackSite):
    """A page that sends its headers, then one byte a second (until the test ends)."""
    done = threading.Event()

    def handle(h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(100000):
            try:
                h.wfile.write(b"x")
                h.wfile.flush()
            except OSError:
                return
            if done.wait(1.0):
                return

    yield loopback_site.add("/slow", handle)
    done.set()


def test_explain_ends_a_trickling_page_at_its_deadline(trickle: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete answer within 1\.5s"):
        fetch(trickle, CrawlerSettings(timeout=1.5))
    # The server would take 100,000 s; per-read timeouts never fire on 1 byte/s.
    assert time.monotonic() - started < 10


def test_explain_cli_deadline_is_one_line(trickle: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[crawler]\ntimeout = "1s"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "explain", trickle])
    assert result.exit_code != 0
    assert result.output.strip().endswith("no complete answer within 1s")
    assert "Traceback" not in result.output
