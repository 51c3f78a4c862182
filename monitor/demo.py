"""``banwatch demo``: one full cycle against a sample news site served on 127.0.0.1.

The site (package data in ``monitor/demo_site``) restates the five seed stories in our own
words, on five fictional outlets, with real-looking clutter: menus, a "recent news"
sidebar naming platforms, template tags, "follow us on Twitter" footers. Four look-alike
stories (a regulator blocking an app, lawmakers urging a ban, a sports ban, an app launch)
must produce no hit. The crawl runs exactly as the daemon runs it: a child process
``banwatch crawl feeds`` into a temporary SQLite database.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from monitor.db import open_database, session_scope
from monitor.errors import SourceError
from monitor.queries import EventRow, HitRow

SITE_PACKAGE = "monitor.demo_site"


@dataclass
class DemoResult:
    folder: Path
    articles: int
    hits: int
    events: list[EventRow] = field(default_factory=list)
    hit_rows: list[HitRow] = field(default_factory=list)


class _DemoHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the demo is quiet
        pass


def serve_site(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``folder`` on an ephemeral loopback port; returns the server and base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_DemoHandler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="demo-site", daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host!s}:{port}"


def prepare_site(target: Path, base_url: str) -> None:
    """Copy the packaged pages into ``target`` and point the feed's links at ``base_url``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in resources.files(SITE_PACKAGE).iterdir():
        if entry.name.endswith((".html", ".xml")):
            text = entry.read_text(encoding="utf-8").replace("{BASE}", base_url)
            (target / entry.name).write_text(text, encoding="utf-8")


def write_settings(folder: Path, feed_url: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(
        "# written by `banwatch demo`\n"
        "[database]\n"
        'url = "sqlite:///demo.db"\n\n'
        "[[feeds]]\n"
        'name = "demo wire"\n'
        f'url = "{feed_url}"\n'
        "interval = 60\n\n"
        "[crawler]\n"
        "download_delay = 0\n"
        "autothrottle = false\n"
        "concurrency_per_domain = 8\n\n"
        "[digest]\n"
        "enabled = false\n",
        encoding="utf-8",
    )
    return path


def run_demo(*, keep: bool = False, progress: bool = True) -> DemoResult:
    """Serve the sample site, crawl its feed once, and return what banwatch found."""
    from monitor.config import load_settings
    from monitor.queries import list_events, list_hits
    from monitor.status import status_report

    folder = Path(tempfile.mkdtemp(prefix="banwatch-demo-"))
    site_dir = folder / "site"
    server, base = serve_site(site_dir)
    try:
        prepare_site(site_dir, base)
        config = write_settings(folder, f"{base}/feed.xml")
        cmd = [sys.executable, "-m", "monitor.cli", "--config", str(config), "crawl", "feeds"]
        proc = subprocess.run(
            cmd,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=None if progress else subprocess.PIPE,
            stderr=None if progress else subprocess.PIPE,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            detail = (proc.stderr or "").strip().splitlines()[-1:] or ["see the output above"]
            raise SourceError(f"demo crawl failed (exit {proc.returncode}): {detail[0]}")
        settings = load_settings(config)
        engine = open_database(settings.database.url)
        with session_scope(engine) as session:
            report = status_report(session, settings)
            result = DemoResult(
                folder=folder,
                articles=report.articles,
                hits=report.hits,
                events=list(reversed(list_events(session))),
                hit_rows=list_hits(session),
            )
        engine.dispose()
        return result
    finally:
        server.shutdown()
        server.server_close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
