"""The lexicon: shipped data, settings additions, caching, and the classifier's purity."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError

import pytest

from monitor.classify import ACTIONS, CLASSIFIER_VERSION, classify, load_lexicon
from monitor.classify.objects import ACTION_TABLE
from monitor.config import ClassifierSettings


def test_default_lexicon_is_built_once() -> None:
    assert load_lexicon() is load_lexicon()
    settings = ClassifierSettings(watchlist=["Redfish"])
    assert load_lexicon(settings) is load_lexicon(ClassifierSettings(watchlist=["Redfish"]))


def test_lexicon_is_frozen() -> None:
    lexicon = load_lexicon()
    with pytest.raises(FrozenInstanceError):
        lexicon.threshold = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        lexicon.platforms["Bluesky"] = ("Bluesky",)  # type: ignore[index]


def test_vocabulary_of_the_design() -> None:
    lexicon = load_lexicon()
    for platform in ("Twitter", "Facebook", "Meta", "Instagram", "WhatsApp", "Threads",
                     "YouTube", "Google", "TikTok", "Apple", "Microsoft", "LinkedIn", "Amazon",
                     "Twitch", "Telegram", "Reddit", "Discord", "Snapchat", "Spotify",
                     "Substack", "Patreon", "PayPal", "Cloudflare"):  # fmt: skip
        assert platform in lexicon.platforms
    assert "X" in lexicon.platforms["Twitter"]
    assert lexicon.families["Instagram"] == lexicon.families["Facebook"] == "Meta"
    for target, alias in [("RT", "TV-Novosti"), ("RT", "ANO TV-Novosti"),
                          ("Sputnik", "Rossiya Segodnya"), ("Kaspersky", "Kaspersky Lab"),
                          ("Internet Research Agency", "troll factory")]:  # fmt: skip
        assert alias in lexicon.targets[target]
    produced = {action for rows in ACTION_TABLE.values() for _, action in rows}
    assert produced == set(ACTIONS), "every action can come out, and nothing else"


def test_settings_add_a_watchlist_target_with_aliases() -> None:
    text = "YouTube suspended the channel of the Brave Dawn Collective on Monday."
    plain = classify("", text, load_lexicon())
    settings = ClassifierSettings(
        watchlist=["Brave Dawn"], aliases={"Brave Dawn": ["Brave Dawn Collective", "BDC"]}
    )
    lexicon = load_lexicon(settings)
    (verdict,) = classify("", text, lexicon)
    assert verdict.target == "Brave Dawn" and verdict.target_key == "brave dawn"
    assert verdict.score > plain[0].score, "a watchlist target weighs more than a bare name"
    assert lexicon.target_key("BDC") == lexicon.target_key("brave dawn collective")


def test_settings_alias_joins_a_shipped_target() -> None:
    lexicon = load_lexicon(ClassifierSettings(aliases={"RT": ["Russia Today Video"]}))
    assert "Russia Today Video" in lexicon.targets["RT"]
    assert lexicon.target_key("Russia Today Video") == "rt"


def test_settings_add_a_platform() -> None:
    text = "Bluesky suspended the account of Press TV."
    assert classify("", text, load_lexicon()) == []
    lexicon = load_lexicon(ClassifierSettings(platforms={"Bluesky": ["bsky"]}))
    assert {(v.platform, v.action) for v in classify("", text, lexicon)} == {
        ("Bluesky", "suspension")
    }
    assert {v.platform for v in classify("", "bsky banned Press TV.", lexicon)} == {"Bluesky"}


def test_settings_threshold_filters_verdicts() -> None:
    text = "Facebook removed a page of Press TV."  # body-only, a bare name: below 0.7
    assert classify("", text, load_lexicon(ClassifierSettings(threshold=0.5)))
    assert classify("", text, load_lexicon(ClassifierSettings(threshold=0.95))) == []


def test_cased_aliases_need_their_capitals() -> None:
    lexicon = load_lexicon()
    assert classify("", "X suspended the account of Press TV.", lexicon)
    assert classify("", "x suspended the account of Press TV.", lexicon) == []
    assert classify("", "Meta removed the page of Press TV.", lexicon)
    assert classify("", "The meta analysis removed the page of Press TV.", lexicon) == []


def test_classifier_version_names_the_lexicon() -> None:
    assert CLASSIFIER_VERSION.endswith(load_lexicon().version)


def test_classify_imports_nothing_of_the_database_or_network() -> None:
    code = (
        "import sys, monitor.classify as c\n"
        "c.classify('Twitter bans RT', 'Twitter banned ads from RT.', c.load_lexicon())\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'scrapy', 'urllib3', 'httpx', 'requests', 'trafilatura')"
        " or m in ('monitor.models', 'monitor.db', 'monitor.ingest', 'urllib.request')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
