"""`banwatch demo`: the built-in loopback site yields the four seed bans and no look-alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_prints_the_seed_bans_and_no_lookalike() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    events = json.loads(proc.stdout)
    keys = {(e["platform"], target) for e in events for target in e["targets"]}
    assert ("Twitter", "RT") in keys
    assert ("Twitter", "Sputnik") in keys
    assert ("Twitter", "Kaspersky") in keys
    assert ("Facebook", "Internet Research Agency") in keys
    assert ("TikTok", "RT") in keys
    assert ("TikTok", "Sputnik") in keys
    assert ("Meta", "RT") in keys, "seed 004's second ban"
    twitter_rt = next(e for e in events if e["platform"] == "Twitter" and "RT" in e["targets"])
    assert twitter_rt["action"] == "ad_ban"
    assert twitter_rt["outlet_count"] == 2, "two outlets reported the RT ad ban"
    lookalikes = ("regulator-blocks", "lawmakers-urge", "league-bans", "salon-chain")
    for event in events:
        assert not any(slug in url for url in event["urls"] for slug in lookalikes), event


@pytest.mark.slow
def test_demo_table_output_names_the_bans() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    for word in ("Twitter", "Kaspersky", "Internet Research Agency", "TikTok"):
        assert word in proc.stdout
