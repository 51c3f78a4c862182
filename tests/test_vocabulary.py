"""The one vocabulary (monitor.classify.vocabulary): aliases, families, the name normaliser
and the nearest-name refusals, on the shipped lexicon plus settings."""

from __future__ import annotations

import pytest

from monitor.alerts.filters import Filters
from monitor.classify import load_lexicon
from monitor.classify.vocabulary import UnknownName, Vocabulary, load_vocabulary, name_key
from monitor.config import ClassifierSettings
from monitor.errors import ConfigError


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


def test_name_key_is_the_classifiers_folding_with_spaces_squeezed() -> None:
    assert name_key("  TV-Novosti ") == "tv novosti"
    assert name_key("Russia\u00a0Today") == "russia today"
    assert name_key("“RT”") == "rt"
    assert name_key("X.com") == "x com"


@pytest.mark.parametrize(
    ("word", "canonical"),
    [("X", "Twitter"), ("x corp", "Twitter"), ("twitter", "Twitter"), ("App Store", "Apple"),
     ("Google Play", "Google"), ("bytedance", "TikTok"), ("FB", "Facebook")],
)  # fmt: skip
def test_platform_aliases(vocab: Vocabulary, word: str, canonical: str) -> None:
    assert vocab.platform(word) == canonical
    assert vocab.check_platform(word) == canonical


def test_families_cover_their_products(vocab: Vocabulary) -> None:
    assert set(vocab.platforms_for("Meta")) == {
        "Meta", "Facebook", "Instagram", "WhatsApp", "Threads"
    }  # fmt: skip
    assert set(vocab.platforms_for("Meta Platforms")) == set(vocab.platforms_for("Meta"))
    assert set(vocab.platforms_for("Google")) == {"Google", "YouTube"}
    assert set(vocab.platforms_for("Alphabet")) == {"Google", "YouTube"}
    assert vocab.platforms_for("Facebook") == ("Facebook",)  # a product: only itself
    assert vocab.platforms_for("YouTube") == ("YouTube",)
    assert vocab.platforms_for("X") == ("Twitter",)
    assert vocab.platforms_for("Gab") == ("Gab",)  # unknown: itself, as written


def test_target_aliases_share_one_key(vocab: Vocabulary) -> None:
    assert vocab.target("Russia Today") == vocab.target("tv-novosti") == "RT"
    assert vocab.target_key("TV Novosti") == vocab.target_key("RT") == "rt"
    assert vocab.target_key("Rossiya Segodnya") == "sputnik"
    assert {"rt", "russia today", "tv novosti"} <= vocab.target_keys_for("Russia Today")
    assert vocab.target_key("Some Local Paper") == "some local paper"
    assert vocab.target_keys_for("Some Local Paper") == {"some local paper"}


def test_the_classifier_groups_targets_with_the_same_vocabulary() -> None:
    lexicon = load_lexicon()
    assert lexicon.vocabulary is load_vocabulary()
    assert lexicon.target_key("Russia Today") == load_vocabulary().target_key("Russia Today")


def test_settings_add_platforms_and_target_aliases() -> None:
    settings = ClassifierSettings(
        watchlist=["Brave Dawn"],
        aliases={"Brave Dawn": ["Brave Dawn Collective", "BDC"], "RT": ["Russia Today Video"]},
        platforms={"Gab": ["Gab.com"]},
    )
    vocab = load_vocabulary(settings)
    assert vocab.platform("gab com") == "Gab"
    assert vocab.target("BDC") == "Brave Dawn"
    assert vocab.target_key("Russia Today Video") == "rt"
    assert load_lexicon(settings).target_key("BDC") == vocab.target_key("Brave Dawn Collective")


@pytest.mark.parametrize(
    ("method", "word", "suggested"),
    [
        ("check_platform", "Youtub", "YouTube"),
        ("check_platform", "Twiter", "Twitter"),
        ("check_platform", "Facebok", "Facebook"),
        ("check_action", "ad-bann", "ad_ban"),
        ("check_action", "suspenson", "suspension"),
        ("check_target", "Russia Todya", "Russia Today (RT)"),
        ("check_target", "Sputnk", "Sputnik"),
    ],
)
def test_a_typo_is_refused_with_the_nearest_names(
    vocab: Vocabulary, method: str, word: str, suggested: str
) -> None:
    with pytest.raises(UnknownName) as info:
        getattr(vocab, method)(word)
    assert isinstance(info.value, ConfigError)  # one line and exit code 2 at the CLI
    assert suggested in info.value.suggestions
    assert f"did you mean {info.value.suggestions[0]}" in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_without_a_near_name_says_what_to_do(vocab: Vocabulary) -> None:
    with pytest.raises(UnknownName, match=r"\[classifier.platforms\]"):
        vocab.check_platform("Zzzqq")
    with pytest.raises(UnknownName, match="expected one of ad_ban"):
        vocab.check_action("frobnicate")


def test_actions_any_spelling(vocab: Vocabulary) -> None:
    for word in ("ad_ban", "Ad ban", "AD-BAN"):
        assert vocab.check_action(word) == "ad_ban"
    assert vocab.check_action("demonetization") == "demonetisation"


def test_a_target_on_no_list_is_accepted_as_typed(vocab: Vocabulary) -> None:
    assert vocab.check_target("  Daily Planet ") == "Daily Planet"
    assert vocab.check_target("RT") == "RT"
    assert vocab.check_target("tv-novosti") == "RT"


def test_filters_checked_spell_names_canonically(vocab: Vocabulary) -> None:
    checked = Filters(
        platforms=("x", "Twitter", "meta"), actions=("Ad ban",), targets=("Russia Today", "Foo")
    ).checked(vocab)
    assert checked.platforms == ("Twitter", "Meta")
    assert checked.actions == ("ad_ban",)
    assert checked.targets == ("RT", "Foo")
    with pytest.raises(UnknownName, match="did you mean YouTube"):
        Filters(platforms=("Youtub",)).checked(vocab)
