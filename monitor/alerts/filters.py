"""Which events a subscription wants: platforms, actions, targets, keywords, minimum score.

Names are read through the one vocabulary (``monitor.classify.vocabulary``): a subscription
to ``"x"`` matches events on ``"Twitter"``, one to ``"Meta"`` matches Facebook, Instagram,
WhatsApp and Threads events too, and ``"Russia Today"`` matches an event whose target is
``"RT"``. ``checked`` validates filters a user typed (a typo is refused with the nearest
names) and returns them with canonical spellings.

    vocab = load_vocabulary(settings.classifier)
    f = Filters(platforms=("Youtub",)).checked(vocab)   # UnknownName: ... did you mean YouTube?
    f = Filters.from_json(subscription.filters)
    f.matches(event, vocab)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from monitor.classify.vocabulary import Vocabulary, load_vocabulary, name_key

if TYPE_CHECKING:
    from monitor.models import Event


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

    def checked(self, vocabulary: Vocabulary) -> Filters:
        """These filters with every platform, action and target checked against the
        vocabulary and spelled canonically ("x" -> "Twitter", "Ad ban" -> "ad_ban",
        "Russia Today" -> "RT"); a target on no list stays as typed. Raises
        ``UnknownName`` (a ``ConfigError``) for the first name that is not known, with the
        nearest known names."""
        return replace(
            self,
            platforms=_unique(vocabulary.check_platform(p) for p in self.platforms),
            actions=_unique(vocabulary.check_action(a) for a in self.actions),
            targets=_unique(vocabulary.check_target(t) for t in self.targets),
            keywords=_unique(k.strip() for k in self.keywords if k.strip()),
        )

    def matches(self, event: Event, vocabulary: Vocabulary | None = None) -> bool:
        """True when the event passes every filter that is set."""
        vocab = vocabulary if vocabulary is not None else load_vocabulary()
        if event.score < self.min_score:
            return False
        if self.platforms:
            covered = {name_key(c) for p in self.platforms for c in vocab.platforms_for(p)}
            if name_key(event.platform) not in covered:
                return False
        if self.actions:
            wanted = {vocab.action(a) or a for a in self.actions}
            if (vocab.action(event.action) or event.action) not in wanted:
                return False
        if self.targets:
            keys = set().union(*(vocab.target_keys_for(t) for t in self.targets))
            if not keys & {name_key(n) for n in event_target_names(event) if n}:
                return False
        if self.keywords:  # whole words: "RT" is not found in "report"
            text = "\n".join([event.headline, event.evidence, *event_target_names(event)])
            haystack = f" {name_key(text)} "
            if not any(f" {name_key(k)} " in haystack for k in self.keywords if name_key(k)):
                return False
        return True


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
