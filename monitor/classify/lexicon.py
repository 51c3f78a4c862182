"""The lexicon: the classifier's words, read from ``lexicon.toml`` plus settings.toml.

A ``Lexicon`` is frozen and built once: ``load_lexicon()`` caches the shipped build and
each distinct set of additions from ``[classifier]`` settings, so callers may ask for it
per article without paying for it. Building compiles every phrase into one Aho-Corasick
automaton (see ``monitor.classify.matcher``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from monitor.classify.vocabulary import Vocabulary
from monitor.classify.vocabulary import bare_key as bare_key
from monitor.classify.vocabulary import name_key as _key
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.config import ClassifierSettings

LEXICON_FILE = "lexicon.toml"
ACTION_FORMS = ("verbs", "participles", "passive", "nouns")
FORM_OF = {"verbs": "verb", "participles": "participle", "passive": "passive", "nouns": "noun"}


@dataclass(frozen=True, slots=True)
class Term:
    """What one phrase means. ``cased`` is the exact spelling a case-sensitive phrase needs."""

    kind: str  # platform | target | action | object | cue
    name: str  # canonical platform or target, action class, object class, cue name
    form: str = ""  # actions: verb | participle | passive | noun
    cased: str | None = None


@dataclass(frozen=True, slots=True)
class Grammar:
    """Closed word classes the binding rules compare whole lower-cased tokens against."""

    prepositions: frozenset[str]
    passive_aux: frozenset[str]
    passive_by: frozenset[str]
    skip_adverbs: frozenset[str]
    determiners: frozenset[str]
    reporting: frozenset[str]
    nominal_lead: frozenset[str]
    subordinators: frozenset[str]
    right_bounds: frozenset[str]
    pronouns: frozenset[str]
    target_pronouns: frozenset[str]
    modifier_nouns: frozenset[str]
    self_nouns: frozenset[str]
    definite_nouns: frozenset[str]
    actor_nouns: frozenset[str]
    named_stopwords: frozenset[str]
    name_breaks: frozenset[str]
    name_titles: frozenset[str]
    owned_nouns: frozenset[str]
    network_nouns: frozenset[str]
    clutter_markers: frozenset[str]
    sidebar_markers: frozenset[str]
    teaser_endings: tuple[str, ...]
    abbreviations: frozenset[str]
    number_words: frozenset[str]
    scale_units: frozenset[str]

    @classmethod
    def from_table(cls, table: Mapping[str, list[str]]) -> Grammar:
        values: dict[str, Any] = {}
        for name in cls.__slots__:
            words = [w.lower().replace("’", "'") for w in table.get(name, [])]
            values[name] = tuple(words) if name == "teaser_endings" else frozenset(words)
        return cls(**values)


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Platforms with aliases, actions with verb phrases, objects, targets with aliases,
    negative cues and grammar words, compiled into one automaton.

    ``platforms`` and ``targets`` map each canonical name to its aliases; ``families`` maps
    a platform to its company ("Instagram" -> "Meta"). ``threshold`` is the lowest score a
    verdict needs.
    """

    version: str
    threshold: float
    platforms: Mapping[str, tuple[str, ...]]
    families: Mapping[str, str]
    targets: Mapping[str, tuple[str, ...]]
    actions: Mapping[str, Mapping[str, tuple[str, ...]]]
    requires: Mapping[str, tuple[str, ...]]
    objects: Mapping[str, tuple[str, ...]]
    cues: Mapping[str, tuple[str, ...]]
    grammar: Grammar
    vocabulary: Vocabulary = field(repr=False)
    automaton: Any = field(repr=False)
    network_targets: frozenset[str] = frozenset()
    origins: Mapping[str, tuple[str, bool]] = field(repr=False, default_factory=dict)
    joint_families: frozenset[str] = frozenset()
    # action -> the actions of its family (lexicon.toml [families]), itself first in order
    action_families: Mapping[str, tuple[str, ...]] = field(repr=False, default_factory=dict)
    # canonical target and platform name -> its target_key, made once with the lexicon:
    # most verdicts name one of them ("RT", "Telegram"), and keying a name costs ~3 us
    known_target_keys: Mapping[str, str] = field(repr=False, default_factory=dict)

    def target_key(self, name: str) -> str:
        """The grouping key of a target name (``Vocabulary.target_key``): its canonical
        name's key, so every alias of one target gives the same key; a name on no list
        keyed without what only says where it lives ("@ElonJet", "r/NoNewNormal", "Kanye
        West's account" -> "elonjet", "nonewnormal", "kanye west")."""
        key = self.known_target_keys.get(name)
        return key if key is not None else self.vocabulary.target_key(name)


@lru_cache(maxsize=1)
def _shipped() -> Mapping[str, Any]:
    raw = resources.files("monitor.classify").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"monitor/classify/{LEXICON_FILE}: {exc}") from None


def lexicon_version() -> str:
    return str(_shipped().get("version", "0"))


def additions_of(classifier_settings: ClassifierSettings | None) -> tuple[Any, ...] | None:
    """The ``[classifier]`` settings that change the lexicon, as a hashable cache key."""
    if classifier_settings is None:
        return None
    cs = classifier_settings
    return (
        float(cs.threshold),
        tuple(cs.watchlist),
        tuple(sorted((k, tuple(v)) for k, v in cs.aliases.items())),
        tuple(sorted((k, tuple(v)) for k, v in cs.platforms.items())),
    )


def load_lexicon(classifier_settings: ClassifierSettings | None = None) -> Lexicon:
    """The shipped lexicon plus the ``[classifier]`` additions of settings.toml.

    Watchlist names and ``aliases`` add targets (or aliases of a known one); ``platforms``
    adds platforms or aliases; ``threshold`` replaces the lexicon's. Built once per
    distinct settings and cached.
    """
    return _build(additions_of(classifier_settings))


Tables = dict[str, dict[str, list[str]]]


def _tables(additions: tuple[Any, ...] | None) -> tuple[Tables, dict[str, str], Tables]:
    """Platforms and targets (canonical -> aliases and cased spellings) and platform
    families, shipped plus settings."""
    data = _shipped()
    platforms = {name: _entry(spec) for name, spec in data.get("platforms", {}).items()}
    targets = {name: _entry(spec) for name, spec in data.get("targets", {}).items()}
    families = {name: spec.get("family", name) for name, spec in data["platforms"].items()}
    if additions is not None:
        _, watchlist, aliases, extra_platforms = additions
        for name in watchlist:
            _merge(targets, name, ())
        for name, names in aliases:
            _merge(targets, name, names)
        for name, names in extra_platforms:
            families.setdefault(_merge(platforms, name, names), name)
    return platforms, families, targets


def vocabulary_tables(
    additions: tuple[Any, ...] | None,
) -> tuple[dict[str, list[str]], dict[str, str], dict[str, list[str]], frozenset[str]]:
    """What ``monitor.classify.vocabulary`` is built from: platform aliases, families,
    target aliases (canonical name -> aliases) and the words that name an account
    ("channel", "page") rather than its owner."""
    platforms, families, targets = _tables(additions)
    grammar = Grammar.from_table(_shipped().get("grammar", {}))
    return (
        {k: v["aliases"] for k, v in platforms.items()},
        families,
        {k: v["aliases"] for k, v in targets.items()},
        grammar.owned_nouns,
    )


@lru_cache(maxsize=16)
def _build(additions: tuple[Any, ...] | None) -> Lexicon:
    from monitor.classify.objects import ACTION_TABLE
    from monitor.classify.schema import validate
    from monitor.classify.vocabulary import _load

    data = _shipped()
    checked = validate(data, f"monitor/classify/{LEXICON_FILE}", frozenset(ACTION_TABLE))
    platforms, families, targets = _tables(additions)
    threshold = float(additions[0]) if additions is not None else float(data.get("threshold", 0.5))
    actions = {
        cls: {form: tuple(spec.get(form, ())) for form in ACTION_FORMS}
        for cls, spec in data.get("actions", {}).items()
    }
    requires = {
        cls: (spec["requires"],) if isinstance(spec["requires"], str) else tuple(spec["requires"])
        for cls, spec in data["actions"].items()
        if "requires" in spec
    }
    objects = {name: tuple(words) for name, words in data.get("objects", {}).items()}
    cue_table = dict(data.get("cues", {}))
    cue_cased = set(cue_table.pop("cased", ()))
    cues = {name: tuple(words) for name, words in cue_table.items()}
    automaton = _compile(platforms, targets, actions, objects, cues, cue_cased)
    vocabulary = _load(additions)
    return Lexicon(
        version=str(data.get("version", "0")),
        threshold=threshold,
        platforms=MappingProxyType({k: tuple(v["aliases"]) for k, v in platforms.items()}),
        families=MappingProxyType(families),
        targets=MappingProxyType({k: tuple(v["aliases"]) for k, v in targets.items()}),
        actions=MappingProxyType(actions),
        requires=MappingProxyType(requires),
        objects=MappingProxyType(objects),
        cues=MappingProxyType(cues),
        grammar=Grammar.from_table(_with_demonyms(data)),
        automaton=automaton,
        network_targets=frozenset(
            name for name, spec in data.get("targets", {}).items() if spec.get("network")
        ),
        joint_families=frozenset(data.get("joint_families", ())),
        action_families=MappingProxyType(
            {
                action.value: tuple(a.value for a in family)
                for family in checked.families.values()
                for action in family
            }
        ),
        vocabulary=vocabulary,
        known_target_keys=MappingProxyType(
            {name: vocabulary.target_key(name) for name in (*targets, *platforms)}
        ),
        origins=MappingProxyType(
            {
                word.lower(): (country, kind == "places")
                for country, spec in data.get("origins", {}).items()
                for kind in ("adjectives", "places")
                for word in spec.get(kind, ())
            }
        ),
    )


# Adjectives of origin end so ("Moldovan", "Iranian", "Burmese", "Saudi", "Turkish");
# "Tatmadaw" and "Hezbollah" stand in the table as signs of an origin but are names.
_DEMONYM_ENDINGS = ("an", "ese", "i", "ish", "ic", "ch", "ine", "ian", "ean")


def _with_demonyms(data: Mapping[str, Any]) -> dict[str, Any]:
    """The grammar, with every origin's adjective among the words that start no name:
    "fake Moldovan accounts" names no one ("Moldovan" is where they come from)."""
    grammar = dict(data.get("grammar", {}))
    demonyms = [
        word.lower()
        for spec in data.get("origins", {}).values()
        for word in spec.get("adjectives", ())
        if " " not in word and word.lower().endswith(_DEMONYM_ENDINGS)
    ]
    grammar["named_stopwords"] = [*grammar.get("named_stopwords", ()), *demonyms]
    return grammar


def _entry(spec: Mapping[str, Any]) -> dict[str, list[str]]:
    return {"aliases": list(spec.get("aliases", ())), "cased": list(spec.get("cased", ()))}


def _merge(table: dict[str, dict[str, list[str]]], name: str, names: Iterable[str]) -> str:
    """Add ``name`` and its aliases to the entry that already knows any of them, else to a
    new entry; returns the canonical name used."""
    name = name.strip()
    wanted = [n.strip() for n in (name, *names) if n and n.strip()]
    if not wanted:
        raise ConfigError("[classifier]: an empty target or platform name")
    keys = {_key(n) for n in wanted}
    for canonical, entry in table.items():
        if keys & {_key(a) for a in (canonical, *entry["aliases"])}:
            break
    else:
        canonical = name
        table[canonical] = {"aliases": [], "cased": []}
    entry = table[canonical]
    known = {_key(a) for a in entry["aliases"]}
    for alias in wanted:
        if _key(alias) not in known:
            entry["aliases"].append(alias)
            known.add(_key(alias))
            if len(alias) <= 3 and alias.isupper():  # short acronyms: exact case only
                entry["cased"].append(alias)
    return canonical


def _compile(
    platforms: Mapping[str, Mapping[str, list[str]]],
    targets: Mapping[str, Mapping[str, list[str]]],
    actions: Mapping[str, Mapping[str, tuple[str, ...]]],
    objects: Mapping[str, tuple[str, ...]],
    cues: Mapping[str, tuple[str, ...]],
    cue_cased: set[str],
) -> Any:
    import ahocorasick

    from monitor.classify.matcher import kinds_of

    terms: dict[str, list[Term]] = {}

    def add(phrase: str, term: Term) -> None:
        key = _key(phrase)
        if key and term not in terms.setdefault(key, []):
            terms[key].append(term)

    for kind, table in (("platform", platforms), ("target", targets)):
        for canonical, entry in table.items():
            cased = set(entry["cased"])
            for alias in {canonical, *entry["aliases"]}:
                add(alias, Term(kind, canonical, cased=alias if alias in cased else None))
    for cls, forms in actions.items():
        for form, phrases in forms.items():
            for phrase in phrases:
                add(phrase, Term("action", cls, FORM_OF[form]))
    for name, phrases in objects.items():
        for phrase in phrases:
            add(phrase, Term("object", name))
    for name, phrases in cues.items():
        for phrase in phrases:
            add(phrase, Term("cue", name, cased=phrase if phrase in cue_cased else None))
    automaton = ahocorasick.Automaton()
    for key, found in terms.items():
        spelled = any(t.cased is not None for t in found)
        # kinds are precomputed unless an exact spelling must be checked first
        kinds = None if spelled else kinds_of(tuple(found))
        automaton.add_word(f" {key} ", (len(key), tuple(found), kinds))
    automaton.make_automaton()
    return automaton
