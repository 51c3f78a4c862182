"""The shape of lexicon.toml, checked once when the lexicon is built.

A key the schema does not know (a typo such as ``partciples``, a section that does not
exist) stops the build with one line naming it, instead of being ignored; so does a verb
class the rules have no action table for, or an action family naming an action that is
not one of ``Action``. Adding an action therefore touches the lexicon and the enum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.classify.types import Action
from monitor.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformSpec(_Strict):
    aliases: list[str] = Field(default_factory=list)
    cased: list[str] = Field(default_factory=list)
    family: str | None = None


class TargetSpec(_Strict):
    aliases: list[str] = Field(default_factory=list)
    cased: list[str] = Field(default_factory=list)
    network: bool = False


class VerbClass(_Strict):
    verbs: list[str] = Field(default_factory=list)
    participles: list[str] = Field(default_factory=list)
    passive: list[str] = Field(default_factory=list)
    nouns: list[str] = Field(default_factory=list)
    requires: str | list[str] | None = None


class OriginSpec(_Strict):
    places: list[str] = Field(default_factory=list)
    adjectives: list[str] = Field(default_factory=list)


class LexiconFile(_Strict):
    version: str
    threshold: float = Field(0.5, ge=0, le=1)
    joint_families: list[str] = Field(default_factory=list)
    platforms: dict[str, PlatformSpec]
    targets: dict[str, TargetSpec] = Field(default_factory=dict)
    actions: dict[str, VerbClass]
    families: dict[str, list[Action]]
    objects: dict[str, list[str]] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    origins: dict[str, OriginSpec] = Field(default_factory=dict)
    grammar: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("families")
    @classmethod
    def _every_action_once(cls, value: dict[str, list[Action]]) -> dict[str, list[Action]]:
        seen = [a for family in value.values() for a in family]
        missing = [a.value for a in Action if a not in seen]
        twice = sorted({a.value for a in seen if seen.count(a) > 1})
        if missing or twice:
            raise ValueError(
                f"every action in exactly one family (missing: {missing}, twice: {twice})"
            )
        return value


def validate(data: Mapping[str, Any], source: str, verb_classes: frozenset[str]) -> LexiconFile:
    """``data`` (the parsed TOML) as a ``LexiconFile``; ``ConfigError`` with one line on
    the first problem. ``verb_classes``: the classes the rules can turn into an action."""
    try:
        parsed = LexiconFile.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        what = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(f"{source}: {where}: {what}") from None
    unknown = sorted(set(parsed.actions) - verb_classes)
    if unknown:
        raise ConfigError(
            f"{source}: actions.{unknown[0]}: unknown verb class "
            f"(the rules know {', '.join(sorted(verb_classes))})"
        )
    return parsed
