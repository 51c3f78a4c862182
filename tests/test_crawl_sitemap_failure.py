"""A sitemap source that cannot be reached is one stored failure, not a spider exception.

Regression: the spiders' own size-limit helper once shared its name with an attribute of
Scrapy's SitemapSpider, so the errback of an unreachable sitemap raised TypeError."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_unreachable_sitemap_is_one_clean_failure(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tmp_path / "settings.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///b.db"\n\n'
        f'[[sitemaps]]\nname = "gone"\nurl = "http://127.0.0.1:{port}/robots.txt"\n\n'
        "[crawler]\nretries = 0\ndownload_delay = 0\n"
    )
    base = [sys.executable, "-m", "monitor.cli", "--config", str(config)]
    crawl = subprocess.run([*base, "crawl", "sitemap"], capture_output=True, text=True, timeout=120)
    assert crawl.returncode == 4, crawl.stderr  # every source it tried failed
    assert "Spider error" not in crawl.stderr
    assert "TypeError" not in crawl.stderr
    status = subprocess.run([*base, "status", "--json"], capture_output=True, text=True, timeout=60)
    (source,) = json.loads(status.stdout)["sources"]
    assert source["failures"] == 1
    assert source["last_error"]
