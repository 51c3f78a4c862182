"""Any text, in any language and any shape, returns verdicts without raising."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.classify import ACTIONS, classify, load_lexicon

LEXICON = load_lexicon()
WORDS = st.sampled_from(
    ["Twitter", "X", "bans", "banned", "RT", "Sputnik", "accounts", "from", "the", "it", "was",
     "by", "YouTube", "removed", "’s", "'s", ",", ".", "\n", "{{#rendered}}", "{{/rendered}}",
     "RECENT NEWS", "Read more", "470", "not", "lifted", "ban", "on", "in", "Europe", "app",
     "App Store", "Рос", "禁止", "İ", "\u200b", "?", "-", "“", "”", "Meta", "troll factory"]
)  # fmt: skip


def check(title: str, text: str) -> None:
    for verdict in classify(title, text, LEXICON):
        assert verdict.action in ACTIONS
        assert 0.0 <= verdict.score <= 1.0
        assert verdict.platform in LEXICON.platforms
        assert verdict.target and verdict.target_key
        assert verdict.evidence.strip(), "evidence is the sentence that proves it"
        for start, end in verdict.spans:
            assert 0 <= start < end <= len(verdict.evidence)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.text())
def test_any_unicode_text(title: str, text: str) -> None:
    check(title, text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60).map(" ".join), st.lists(WORDS, max_size=300).map(" ".join))
def test_any_mix_of_lexicon_words(title: str, text: str) -> None:
    check(title, text)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4000))
def test_binary_ish_text(data: bytes) -> None:
    check("", data.decode("latin-1"))
    check(data[:80].decode("utf-8", "replace"), data.decode("utf-8", "replace"))


@pytest.mark.slow
def test_empty_and_huge() -> None:
    assert classify("", "", LEXICON) == []
    big = "Twitter banned ads from RT and Sputnik. " * 20_000 + "\n" * 10_000
    verdicts = classify("", big, LEXICON)
    assert {v.target for v in verdicts} == {"RT", "Sputnik"}
    assert classify("x" * 100_000, "\x00" * 100_000, LEXICON) == []
