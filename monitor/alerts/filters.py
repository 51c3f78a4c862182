"""Which events a subscription wants: platforms, actions, targets, keywords, minimum score.

Names compare case-insensitively through their canonical form, so a subscription to
``"x"`` matches events on ``"Twitter"`` when the two are aliases, and ``"Russia Today"``
matches an event whose target is ``"RT"``. Alias groups come from the classifier's
lexicon and from ``[classifier] aliases`` / ``platforms`` in settings.

    f = Filters.from_json(subscription.filters)
    f.matches(event, aliases_for(settings))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.classify import load_lexicon

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Event


def fold(term: str) -> str:
    """Case- and spacing-insensitive key of a name: ``" Russia  Today"`` -> ``"russia today"``."""
    return " ".join(term.casefold().split())


def action_key(term: str) -> str:
    """``"Ad ban"``, ``"ad-ban"`` and ``"ad_ban"`` all name the action ``ad_ban``."""
    return re.sub(r"[\s\-]+", "_", term.strip().casefold())


@dataclass(frozen=True, slots=True)
class Aliases:
    """Folded name -> the set of folded names it is known by (itself included)."""

    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, *tables: Mapping[str, Iterable[str]]) -> Aliases:
        groups: dict[str, set[str]] = {}
        for table in tables:
            for canonical, aliases in table.items():
                names = {fold(canonical), *(fold(a) for a in aliases)}
                merged = set(names)
                for name in names:
                    merged |= groups.get(name, set())
                for name in merged:
                    groups[name] = merged
        return cls({name: frozenset(names) for name, names in groups.items()})

    def names(self, *values: str) -> set[str]:
        """Every folded name the given values are known by."""
        out: set[str] = set()
        for value in values:
            key = fold(value)
            out.add(key)
            out |= self.groups.get(key, frozenset())
        return out


def aliases_for(settings: Settings) -> Aliases:
    """Platform and target alias groups: the classifier's lexicon plus settings."""
    return Aliases.build(
        *_lexicon_tables(settings),
        settings.classifier.platforms,
        settings.classifier.aliases,
    )


def _lexicon_tables(settings: Settings) -> list[Mapping[str, Iterable[str]]]:
    """The lexicon's alias tables: its platforms and its targets, each a canonical name
    with its aliases. A broken lexicon raises its own ``ConfigError``."""
    lexicon = load_lexicon(settings.classifier)
    return [lexicon.platforms, lexicon.targets]


def event_target_names(event: Event) -> list[str]:
    """Every name and key of every target the event's ban hit (RT *and* Sputnik)."""
    names = [event.target, event.target_key]
    for target in getattr(event, "targets", None) or ():
        names += [target.target, target.target_key]
    return names


@dataclass(frozen=True, slots=True)
class Filters:
    """A subscription's filters; an empty list means "any"."""

    platforms: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    min_score: float = 0.0
    updates: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Filters:
        data = data or {}
        return cls(
            platforms=tuple(str(v) for v in data.get("platforms") or ()),
            actions=tuple(str(v) for v in data.get("actions") or ()),
            targets=tuple(str(v) for v in data.get("targets") or ()),
            keywords=tuple(str(v) for v in data.get("keywords") or ()),
            min_score=float(data.get("min_score") or 0.0),
            updates=bool(data.get("updates", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "platforms": list(self.platforms),
            "actions": list(self.actions),
            "targets": list(self.targets),
            "keywords": list(self.keywords),
            "min_score": self.min_score,
            "updates": self.updates,
        }

    def describe(self) -> str:
        """One short line: ``platforms=Twitter actions=ad_ban min_score=0.6``."""
        parts = [
            f"{name}={','.join(values)}"
            for name, values in (
                ("platforms", self.platforms),
                ("actions", self.actions),
                ("targets", self.targets),
                ("keywords", self.keywords),
            )
            if values
        ]
        if self.min_score:
            parts.append(f"min_score={self.min_score:g}")
        if self.updates:
            parts.append("updates")
        return " ".join(parts) or "everything"

    def matches(self, event: Event, aliases: Aliases | None = None) -> bool:
        """True when the event passes every filter that is set."""
        aliases = aliases or Aliases()
        if event.score < self.min_score:
            return False
        if self.platforms and not (aliases.names(event.platform) & aliases.names(*self.platforms)):
            return False
        if self.actions and action_key(event.action) not in {action_key(a) for a in self.actions}:
            return False
        if self.targets and not (
            aliases.names(*event_target_names(event)) & aliases.names(*self.targets)
        ):
            return False
        if self.keywords:
            haystack = fold("\n".join([event.headline, event.evidence, *event_target_names(event)]))
            if not any(fold(k) in haystack for k in self.keywords):
                return False
        return True
