"""lexicon.toml is validated data: unknown keys and unknown verb classes stop the build
with one line; the action families come from it and cover the one Action enum."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from monitor.classify import load_lexicon
from monitor.classify.lexicon import _shipped
from monitor.classify.objects import ACTION_TABLE, action_for
from monitor.classify.schema import validate
from monitor.classify.types import ACTIONS, Action
from monitor.errors import ConfigError
from monitor.events import family_of

CLASSES = frozenset(ACTION_TABLE)


def shipped() -> dict[str, Any]:
    return copy.deepcopy(dict(_shipped()))


def test_the_shipped_lexicon_is_valid() -> None:
    checked = validate(shipped(), "lexicon.toml", CLASSES)
    assert {a for family in checked.families.values() for a in family} == set(Action)
    assert tuple(a.value for a in Action) == ACTIONS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["actions"]["ban"].update(partciples=["banned"]),
         "actions.ban.partciples: unknown key"),
        (lambda d: d.update(colour="red"), "colour: unknown key"),
        (lambda d: d["platforms"]["Twitter"].update(alias=["X"]),
         "platforms.Twitter.alias: unknown key"),
        (lambda d: d["actions"].update(shadowban={"verbs": ["shadowbans"]}),
         "actions.shadowban: unknown verb class"),
        (lambda d: d["families"]["account"].append("mute"), "families.account"),
        (lambda d: d["families"]["money"].remove("demonetisation"), "every action"),
    ],
)  # fmt: skip
def test_a_wrong_lexicon_fails_with_one_line(change: Any, message: str) -> None:
    data = shipped()
    change(data)
    with pytest.raises(ConfigError) as caught:
        validate(data, "lexicon.toml", CLASSES)
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_an_unknown_verb_class_is_an_error_not_a_ban() -> None:
    with pytest.raises(KeyError):
        action_for("shadowban", set())
    assert action_for("ban", {"ad"}) == "ad_ban"


def test_families_come_from_the_lexicon() -> None:
    lexicon = load_lexicon()
    assert lexicon.action_families["suspension"] == family_of("suspension")
    assert "restriction" in family_of("ban") and "ad_ban" not in family_of("ban")
    assert family_of("ad_ban") == family_of("demonetisation")
    assert family_of("app_removal") == ("app_removal",)
