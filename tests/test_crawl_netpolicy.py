"""A crawl fetches only where the address policy (monitor.net) allows, on every hop.

The configured feed sits on 127.0.0.1: trusted, because the operator configured it. A
second server on 127.0.0.2 stands for a private host the operator did not allow. Feed
entries pointing at it, or at a page that redirects to it, are refused before any byte is
sent: one log line with the address and the rule, kept as the feed's last error, and the
server on 127.0.0.2 sees no request. A name that resolves to a loopback address
(``localhost``) is refused by the resolver the crawl connects with, so the check is on the
address actually connected to. With ``[network] allow`` naming 127.0.0.2, it is fetched.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.conftest import LoopbackSite
from tests.crawl_site import (
    article_page,
    banwatch,
    loopback_env,
    recent,
    rss,
    start_banwatch,
    write_settings,
)


def _setup(
    tmp_path: Path, site: LoopbackSite, private: LoopbackSite, *, allow: list[str] | None = None
) -> tuple[Path, str, str]:
    secret = private.add("/secret.html", article_page(7, recent(hours=1)))
    site.add("/a.html", article_page(1, recent(hours=1)))
    site.add("/go.html", b"", status=302, headers={"Location": private.url("/moved.html")})
    private.add("/moved.html", article_page(8, recent(hours=1)))
    site.add("/named.html", article_page(9, recent(hours=1)))
    port = site.server.server_address[1]
    named = f"http://localhost:{port}/named.html"  # a name: checked when it is resolved
    links = [site.url("/a.html"), secret, site.url("/go.html"), named]
    site.add(
        "/feed.xml",
        rss({"title": f"story {n}", "link": link} for n, link in enumerate(links)),
        content_type="application/rss+xml",
    )
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0},
        feeds=[{"name": "wire", "url": site.url("/feed.xml")}],
    )
    if allow is not None:
        with config.open("a", encoding="utf-8") as fh:
            fh.write(f"\n[network]\nallow = {json.dumps(allow)}\n")
    return config, secret, named


def _status_source(config: Path) -> dict:
    run = banwatch(config, "status", "--json")
    return next(s for s in json.loads(run.stdout)["sources"] if s["name"] == "wire")


@pytest.mark.slow
def test_entries_and_redirects_to_an_unallowed_host_are_refused(
    loopback_site: LoopbackSite, private_site: LoopbackSite, tmp_path: Path
):
    config, secret, named = _setup(tmp_path, loopback_site, private_site)
    run = banwatch(config, "crawl", "feeds", "--json")
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)

    assert stats["stored"] == 1  # a.html only
    assert private_site.requests == []  # neither the entry nor the redirect reached it
    assert loopback_site.hits["/go.html"] == 1  # the redirect itself came from 127.0.0.1
    assert loopback_site.hits["/named.html"] == 0  # localhost -> 127.0.0.1: refused
    refused = [line for line in run.stderr.splitlines() if "request refused" in line]
    assert len(refused) == 3, run.stderr
    assert any(f"{secret}: refused 127.0.0.2 (loopback)" in line for line in refused)
    assert any("/moved.html: refused 127.0.0.2 (loopback)" in line for line in refused)
    assert any(f"{named}: refused 127.0.0.1 (loopback)" in line for line in refused)
    assert "Traceback" not in run.stderr

    source = _status_source(config)
    assert "refused" in source["last_error"] and "(loopback)" in source["last_error"]
    assert source["failures"] == 0  # the feed itself answered: no backoff for it


@pytest.mark.slow
def test_network_allow_lets_the_private_host_be_fetched(
    loopback_site: LoopbackSite, private_site: LoopbackSite, tmp_path: Path
):
    config, _secret, _named = _setup(
        tmp_path, loopback_site, private_site, allow=["127.0.0.2", "localhost"]
    )
    run = banwatch(config, "crawl", "feeds", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["stored"] == 4
    assert private_site.hits["/secret.html"] == 1
    assert private_site.hits["/moved.html"] == 1
    assert loopback_site.hits["/named.html"] == 1
    assert "request refused" not in run.stderr


@pytest.mark.slow
def test_a_configured_source_redirecting_to_an_unallowed_host_fails(
    loopback_site: LoopbackSite, private_site: LoopbackSite, tmp_path: Path
):
    """The source's own URL is trusted; where it redirects is not."""
    private_site.add("/feed.xml", rss([]), content_type="application/rss+xml")
    loopback_site.add(
        "/feed.xml", b"", status=301, headers={"Location": private_site.url("/feed.xml")}
    )
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "retries": 0},
        feeds=[{"name": "wire", "url": loopback_site.url("/feed.xml")}],
    )
    run = banwatch(config, "crawl", "feeds", "--json")
    assert run.returncode == 4, run.stderr  # every source tried failed
    assert private_site.requests == []
    source = _status_source(config)
    assert source["failures"] == 1
    assert source["last_error"].endswith("refused 127.0.0.2 (loopback)")


def _listening_ports(pid: int) -> list[int]:
    """TCP ports process ``pid`` listens on (its socket inodes matched in /proc/net/tcp*)."""
    import os

    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.slow
def test_a_crawl_listens_on_no_port(loopback_site: LoopbackSite, tmp_path: Path):
    """Scrapy's telnet console (a Python shell into the running crawl) and any other
    listening extension are off: while the crawl waits on a feed, it listens nowhere."""
    entered, release = threading.Event(), threading.Event()

    def feed(h) -> None:  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(30)
        body = rss([]).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    loopback_site.add("/feed.xml", feed)
    config = write_settings(
        tmp_path / "settings.toml",
        f"sqlite:///{tmp_path / 'banwatch.db'}",
        crawler={"obey_robots": False, "timeout": "30s"},
        feeds=[{"name": "wire", "url": loopback_site.url("/feed.xml")}],
    )
    child = start_banwatch(config, "crawl", "feeds", env=loopback_env())
    try:
        assert entered.wait(60), "the crawl never asked for the feed"
        assert _listening_ports(child.pid) == []
    finally:
        release.set()
        child.communicate(timeout=60)
    assert child.returncode == 0
