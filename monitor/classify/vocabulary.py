"""The names users give platforms, actions and targets, and what each one covers.

This is banwatch's one normaliser of names and its one alias and family system: the
classifier groups targets with it, and subscription filters, ``banwatch events|hits|digest``
and the web's queries read the user's words with it. Pure: no I/O, no database.

    vocab = load_vocabulary(settings.classifier)      # built once per settings, cached
    vocab.platform("x")                  # 'Twitter'      (an alias)
    vocab.platforms_for("Meta")          # ('Meta', 'Facebook', 'Instagram', 'WhatsApp', 'Threads')
    vocab.platforms_for("Facebook")      # ('Facebook',)  (a product covers only itself)
    vocab.target("Russia Today")         # 'RT'
    vocab.target_keys_for("TV-Novosti")  # {'rt', 'russia today', 'tv novosti', ...}
    vocab.check_platform("Youtub")       # UnknownName: platform 'Youtub': ... did you mean YouTube?

Rules:

* ``name_key`` is the normal form every comparison uses: lower case, every character that
  cannot be part of a word a space, spaces collapsed ("TV-Novosti" -> "tv novosti"). It is
  ``classify.text.fold`` (the classifier's own folding) with the spaces squeezed.
* A platform name is its canonical name or any alias (``lexicon.toml`` plus settings.toml
  ``[classifier.platforms]``); X is Twitter, App Store is Apple, Google Play is Google.
* A family is the company behind several products (``family = "Meta"`` in the lexicon).
  A word naming the family's head platform (Meta, Google, Apple, Microsoft, Amazon, or any
  of that platform's aliases such as "Alphabet") covers every member: a subscription for
  "Meta" gets Facebook, Instagram, WhatsApp and Threads events too. A member covers only
  itself: "Facebook" finds the events the news reported as Facebook's, not Meta's or
  Instagram's (subscribe to "Meta" for the company and all its products).
* A target name is the canonical name or an alias of a watchlist target (``lexicon.toml``
  plus ``[classifier] watchlist`` and ``[classifier.aliases]``): RT = Russia Today =
  TV-Novosti. Any other phrase is a target of its own (the classifier reports targets that
  are on no list), so ``check_target`` accepts it unless it reads like a misspelling of a
  known name ("Russia Todya"), which is refused with the nearest names.
* An action is one of ``ACTIONS``, written any way ("Ad ban", "ad-ban", "AD_BAN"), US
  spelling included ("demonetization").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from monitor.classify.text import fold
from monitor.classify.types import ACTIONS
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.config import ClassifierSettings

#: Spellings of actions other than their key, by their ``name_key``.
ACTION_ALIASES = {
    "demonetization": "demonetisation",
    "demonetized": "demonetisation",
    "demonetised": "demonetisation",
    "takedown": "network_takedown",
    "suspend": "suspension",
    "suspended": "suspension",
    "banned": "ban",
    "removed": "removal",
    "labelled": "label",
    "labeled": "label",
    "geoblock": "geo_block",
    "reinstated": "reinstatement",
}
#: How alike a word and a known name must be (difflib's ratio) to be offered as "did you mean".
SUGGEST_CUTOFF = 0.6
#: A target word at least this close to a known name, but not one, is taken for a typo.
TYPO_CUTOFF = 0.85


def name_key(name: str) -> str:
    """The normal form of a name: ``" Russia-Today "`` -> ``"russia today"``."""
    return " ".join(fold(name).split())


_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:[ru]/|@)?", re.I)
_POSSESSIVE = re.compile(r"(?<=\w) s(?= |$)")


def bare_key(name: str, owned: frozenset[str]) -> str:
    """A name's key without a leading "the", a subreddit or user prefix, possessives and
    the trailing words for an account (``owned``: "channel", "page", "accounts")."""
    key = _POSSESSIVE.sub("", name_key(_PREFIX.sub("", name)))
    words = key.split()
    written = _WORD.findall(name)
    while len(words) > 1 and (words[-1] in owned or words[-1].rstrip("s") in owned):
        if written and written[-1][:1].isupper():
            break  # part of the name: "Iron Forum", "Kiwi Farms Forum"
        words.pop()
        if written:
            written.pop()
    return " ".join(words)


_WORD = re.compile(r"[^\W\d_][\w'’]*")


def action_key(word: str) -> str:
    """``"Ad ban"``, ``"ad-ban"`` and ``"AD_BAN"`` -> ``"ad_ban"`` (known or not)."""
    return re.sub(r"[\s\-]+", "_", word.strip().casefold())


class UnknownName(ConfigError):
    """A platform, action or target a user named that banwatch does not know.

    ``kind`` is "platform", "action" or "target"; ``suggestions`` the nearest known names
    (best first, may be empty). The message says both, in one line.
    """

    def __init__(self, kind: str, word: str, suggestions: Iterable[str] = ()) -> None:
        self.kind = kind
        self.word = word
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            hint = "did you mean " + " or ".join(self.suggestions) + "?"
        elif kind == "action":
            hint = "expected one of " + ", ".join(ACTIONS)
        elif kind == "platform":
            hint = "add it with its aliases under [classifier.platforms] in settings.toml"
        else:
            hint = "add it to [classifier] watchlist in settings.toml"
        super().__init__(f"{kind} {word!r}: not a known {kind}; {hint}")


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Known platforms (with aliases and families), targets (with aliases) and actions.

    Built by ``Vocabulary.build`` from tables of canonical name -> aliases; every mapping
    is keyed by ``name_key``.
    """

    platform_names: Mapping[str, tuple[str, ...]]  # canonical -> its names (itself first)
    families: Mapping[str, tuple[str, ...]]  # head platform -> members (itself first)
    target_names: Mapping[str, tuple[str, ...]]  # canonical -> its names (itself first)
    actions: tuple[str, ...] = ACTIONS
    owned_nouns: frozenset[str] = frozenset()
    _platforms: Mapping[str, str] = field(repr=False, default_factory=dict)
    _targets: Mapping[str, str] = field(repr=False, default_factory=dict)

    @classmethod
    def build(
        cls,
        platforms: Mapping[str, Iterable[str]],
        families: Mapping[str, str],
        targets: Mapping[str, Iterable[str]],
        actions: Iterable[str] = ACTIONS,
        owned_nouns: Iterable[str] = (),
    ) -> Vocabulary:
        """``platforms`` / ``targets``: canonical name -> aliases; ``families``: platform ->
        family name (a family named after one of the platforms makes that one its head).

        When two canonical names share an alias, the first one listed keeps it.
        """
        platform_names = _names_table(platforms)
        target_names = _names_table(targets)
        members: dict[str, list[str]] = {}
        for platform, family in families.items():
            if platform in platform_names:
                members.setdefault(family, []).append(platform)
        family_table = {
            head: (head, *sorted(m for m in found if m != head))
            for head, found in members.items()
            if head in platform_names and len(found) > 1
        }
        return cls(
            platform_names=MappingProxyType(platform_names),
            families=MappingProxyType(family_table),
            target_names=MappingProxyType(target_names),
            actions=tuple(actions),
            owned_nouns=frozenset(owned_nouns),
            _platforms=MappingProxyType(_key_index(platform_names)),
            _targets=MappingProxyType(_key_index(target_names)),
        )

    # --- platforms -------------------------------------------------------------------

    def platform(self, word: str) -> str | None:
        """The canonical platform ``word`` names (``"x"`` -> ``"Twitter"``), or None."""
        return self._platforms.get(name_key(word))

    def platforms_for(self, word: str) -> tuple[str, ...]:
        """The canonical platforms a query or subscription for ``word`` covers: a family's
        head covers its members; any other name only its platform; an unknown word only
        itself, as written."""
        canonical = self.platform(word)
        if canonical is None:
            return (word.strip(),)
        return self.families.get(canonical, (canonical,))

    def check_platform(self, word: str) -> str:
        """The canonical platform ``word`` names; ``UnknownName`` with the nearest names."""
        canonical = self.platform(word)
        if canonical is None:
            raise UnknownName("platform", word, self._nearest(word, self._platforms))
        return canonical

    # --- targets ---------------------------------------------------------------------

    def target(self, word: str) -> str | None:
        """The canonical watchlist target ``word`` names (``"Russia Today"`` -> ``"RT"``,
        ``"RT's channel"`` -> ``"RT"``), or None."""
        found = self._targets.get(name_key(word))
        if found is None:
            found = self._targets.get(bare_key(word, self.owned_nouns))
        return found

    def target_key(self, word: str) -> str:
        """The key events group a target by: its canonical name's key, so every alias of
        one target gives the same key; a name on no list keyed without what only says where
        it lives (``bare_key``: "@ElonJet", "Kanye West's account" -> "elonjet", "kanye
        west")."""
        key = name_key(word)
        canonical = self._targets.get(key)  # self.target(word), sharing the keys it makes
        if canonical is None:
            bare = bare_key(word, self.owned_nouns)
            canonical = self._targets.get(bare)
            if canonical is None:
                return bare or key
        return name_key(canonical)

    def target_keys_for(self, word: str) -> frozenset[str]:
        """Every key a target ``word`` may be stored under: the keys of all the names of
        its watchlist target (so rows grouped before an alias was added still match), or
        the word's own key(s)."""
        canonical = self.target(word)
        if canonical is None:
            return frozenset({self.target_key(word), name_key(word)} - {""})
        return frozenset(name_key(n) for n in self.target_names[canonical])

    def check_target(self, word: str) -> str:
        """The canonical target ``word`` names, or ``word`` itself (stripped) when it is on
        no list; ``UnknownName`` when it looks like a misspelt known name."""
        canonical = self.target(word)
        if canonical is not None:
            return canonical
        key = name_key(word)
        if not key:
            raise UnknownName("target", word)
        if len(key) >= 5:
            close = difflib.get_close_matches(key, self._targets, n=1, cutoff=TYPO_CUTOFF)
            if close:
                raise UnknownName("target", word, self._nearest(word, self._targets))
        return word.strip()

    # --- actions ---------------------------------------------------------------------

    def action(self, word: str) -> str | None:
        """The action ``word`` names (``"Ad ban"`` -> ``"ad_ban"``), or None."""
        key = action_key(word)
        if key in self.actions:
            return key
        alias = ACTION_ALIASES.get(name_key(word))
        return alias if alias in self.actions else None

    def check_action(self, word: str) -> str:
        action = self.action(word)
        if action is None:
            keys = {a: a for a in self.actions}
            keys.update({a.replace("_", " "): a for a in self.actions})
            raise UnknownName("action", word, self._nearest(word, keys))
        return action

    # ---------------------------------------------------------------------------------

    def _nearest(self, word: str, index: Mapping[str, str], n: int = 3) -> list[str]:
        """Up to ``n`` names nearest ``word``, best first, one per canonical name, each as
        written (an alias with its canonical name: ``"Russia Today (RT)"``)."""
        key = name_key(word) or word.casefold()
        spelled = self._spellings()
        out: dict[str, str] = {}
        for near in difflib.get_close_matches(key, index, n=n * 4, cutoff=SUGGEST_CUTOFF):
            canonical = index[near]
            if canonical in out:
                continue
            name = spelled.get(near, near)
            out[canonical] = (
                name if name_key(name) == name_key(canonical) else (f"{name} ({canonical})")
            )
        return list(out.values())[:n]

    def _spellings(self) -> dict[str, str]:
        """``name_key`` -> the name as the tables write it (platforms, targets, actions)."""
        spelled = {a: a for a in self.actions}
        spelled.update({a.replace("_", " "): a for a in self.actions})
        for table in (self.target_names, self.platform_names):
            for names in table.values():
                for name in names:
                    spelled[name_key(name)] = name
        return spelled

    def describe(self) -> dict[str, object]:
        """Everything known, for ``banwatch vocabulary --json`` and the web's forms."""
        return {
            "platforms": {k: list(v[1:]) for k, v in self.platform_names.items()},
            "families": {k: list(v[1:]) for k, v in self.families.items()},
            "targets": {k: list(v[1:]) for k, v in self.target_names.items()},
            "actions": list(self.actions),
        }


def _names_table(table: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for canonical, aliases in table.items():
        names = [canonical]
        seen = {name_key(canonical)}
        for alias in aliases:
            if alias and name_key(alias) not in seen:
                names.append(alias)
                seen.add(name_key(alias))
        out[canonical] = tuple(names)
    return out


def _key_index(names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical in names:  # canonical names first: they always win
        index.setdefault(name_key(canonical), canonical)
    for canonical, all_names in names.items():
        for name in all_names:
            key = name_key(name)
            if key:
                index.setdefault(key, canonical)
    return index


def load_vocabulary(classifier_settings: ClassifierSettings | None = None) -> Vocabulary:
    """The shipped lexicon's vocabulary plus the ``[classifier]`` additions of settings.toml
    (watchlist, aliases, platforms). Cheap: builds no automaton. Cached per settings."""
    from monitor.classify.lexicon import additions_of

    return _load(additions_of(classifier_settings))


@lru_cache(maxsize=16)
def _load(additions: tuple[object, ...] | None) -> Vocabulary:
    from monitor.classify.lexicon import vocabulary_tables

    platforms, families, targets, owned = vocabulary_tables(additions)
    return Vocabulary.build(platforms, families, targets, owned_nouns=owned)
