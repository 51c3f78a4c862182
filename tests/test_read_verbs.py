"""The listing verbs load only what they read: no table renderer under ``--json``, no
migrations on a current database, no crawler, web, classifier or mail stack, and no ORM
mapper configuration (they read table rows). bench/cli.py times them against the floor of
their imports; this holds what the time depends on, without a clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Imported by none of events, hits and status (filters such as --platform read the
# classifier's vocabulary; these runs give none).
NEVER = (
    "rich",
    "alembic",
    "scrapy",
    "twisted",
    "trafilatura",
    "apprise",
    "jinja2",
    "starlette",
    "monitor.classify",
    "monitor.alerts",
    "monitor.net",
    "urllib.request",
    "http.client",
)
# What only ``status`` reads: the crawl frontier, the scheduler's heartbeat, source policy;
# the ORM classes (events and hits read rows of the Core tables); and the pydantic settings
# classes (events and hits read only [database] and [logging], plainly valid here).
STATUS_ONLY = (
    "monitor.frontier",
    "monitor.meta",
    "monitor.sources",
    "monitor.status",
    "monitor.models",
    "monitor.config",
    "pydantic.main",
)

PROBE = """
import json, sys
from monitor.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
modules = sorted(sys.modules)
from monitor.models import Base
print(json.dumps({
    "modules": modules,
    "configured": any(m.configured for m in Base.registry.mappers),
}))
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database for the three verbs, which only read it."""
    folder = tmp_path_factory.mktemp("read-verbs")
    path = folder / "settings.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{folder / "bw.db"}"\n', encoding="utf-8")
    init = [sys.executable, "-m", "monitor.cli", "--config", str(path), "init"]
    subprocess.run(init, check=True, capture_output=True, cwd=folder)
    return path


@pytest.mark.parametrize("verb", ["events", "hits", "status"])
def test_a_listing_loads_only_what_it_reads(config: Path, verb: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(config), verb, "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=config.parent,  # the installed banwatch, whatever the working directory
    )
    *listing, probe = run.stdout.strip().splitlines()
    loaded = json.loads(probe)
    assert json.loads("\n".join(listing)) is not None  # the listing itself came first
    modules = set(loaded["modules"])

    def found(names: tuple[str, ...]) -> list[str]:
        return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))

    assert found(NEVER) == []
    if verb != "status":
        assert found(STATUS_ONLY) == []
    assert "monitor.tables" in modules  # the probe is real: the verb did read the tables
    assert loaded["configured"] is False
