"""The labelled development set: its coverage, and the classifier's scores on it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from monitor.classify import ACTIONS, load_lexicon
from monitor.evaluate import read_items, score_classification

DEVSET = Path(__file__).parent / "data" / "devset.jsonl"
PLATFORMS = {
    "Twitter", "Facebook", "Meta", "Instagram", "WhatsApp", "YouTube", "Google", "TikTok",
    "Apple", "Microsoft", "LinkedIn", "Amazon", "Twitch", "Telegram", "Reddit", "Discord",
    "Snapchat", "Spotify", "Substack", "Patreon", "PayPal", "Cloudflare",
}  # fmt: skip
PITFALLS = {"government", "call", "threat", "hedge", "denial", "context", "self", "sports",
            "drug", "product", "policy", "feature", "clutter", "background"}  # fmt: skip


@pytest.fixture(scope="module")
def items():  # type: ignore[no-untyped-def]
    return read_items(DEVSET)


def test_devset_size_balance_and_coverage(items) -> None:  # type: ignore[no-untyped-def]
    assert len(items) >= 150
    positives = [i for i in items if i.enforcement]
    assert 0.4 <= 1 - len(positives) / len(items) <= 0.6, "about half hard negatives"
    assert {i.platform for i in positives} >= PLATFORMS
    assert {i.action for i in positives} == set(ACTIONS)
    assert all(i.platform and i.action and i.target and i.event for i in positives)
    assert all(i.published and i.url for i in items)
    groups = Counter(i.event for i in positives)
    assert sum(1 for n in groups.values() if n > 1) >= 5, "multi-outlet groups for dedupe"
    rt_events = {i.event for i in positives if i.target == "RT"}
    assert len({e.rsplit("-", 1)[-1] for e in rt_events}) >= 3, "one target, several years"


def test_devset_names_every_pitfall(items) -> None:  # type: ignore[no-untyped-def]
    import json

    pitfalls = {json.loads(line).get("pitfall") for line in DEVSET.open(encoding="utf-8")}
    assert pitfalls >= PITFALLS
    texts = [i.text for i in items if not i.enforcement]
    assert any("{{#rendered}}" in t or "{%" in t for t in texts), "template tags"
    assert any("RECENT NEWS" in t or "Related" in t for t in texts), "sidebars"


def test_classifier_scores_on_the_devset(items) -> None:  # type: ignore[no-untyped-def]
    report = score_classification(items, load_lexicon())
    assert report.precision >= 0.95, report.misclassified
    assert report.f1 >= 0.95, report.misclassified
    assert report.platform_accuracy >= 0.95
    assert min(report.per_platform_recall().values()) >= 0.5


def test_classifier_scores_on_the_holdout() -> None:
    """tests/data/holdout.jsonl was written after the rules were tuned on the dev set; its
    first run scored P 1.00, R 0.87, F1 0.93 (three names in title-case or modifier
    position missed). It stays as a regression check."""
    report = score_classification(read_items(DEVSET.with_name("holdout.jsonl")), load_lexicon())
    assert report.n == 30
    assert report.precision >= 0.95 and report.f1 >= 0.9, report.misclassified
