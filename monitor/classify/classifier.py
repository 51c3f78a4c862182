"""(title, text, lexicon) -> verdicts: the article-level half of the classifier.

One automaton pass finds every lexicon phrase; only sentences holding an enforcement verb
are tokenised and handed to the sentence rules (``monitor.classify.rules``). Their
bindings are then read together:

* a binding whose object has no owner ("shut down 470 inauthentic accounts") takes a
  watchlist name the next sentences tie to it with a link word ("linked to the troll
  factory", "traced ... to the Internet Research Agency");
* bindings of one platform on one target make one verdict: the best-scored binding gives
  action and evidence, each further sentence reporting it adds 0.10 (at most 0.20);
  reinstatements stay apart, so "banned in 2021, reinstated in 2023" yields both;
* a binding left without an owner is dropped when the same platform's same action has a
  named target in the article (the headline's "accounts linked to Russian media groups"
  are the lead's RT and Sputnik), lending it its scale;
* a headline's reinstatement makes the same platform's ban of the same target found later
  in the text its background ("restores the account of X, banned since 2018");
* an app removal that names no app and a removal by the same platform that names one are
  one app removal, of that name;
* verdicts below the lexicon's threshold are dropped.

``diagnose`` returns the same verdicts with everything below the threshold and the near
misses, for ``banwatch explain``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

from monitor.classify import targets as tg
from monitor.classify.actors import Recent
from monitor.classify.lexicon import Lexicon
from monitor.classify.matcher import Hit, find_hits
from monitor.classify.rules import REACTIONS, Binding, Miss, bind_loss, bind_sentence
from monitor.classify.text import CLUTTER, LEAD, TITLE, Sentence, build_document, segment
from monitor.classify.types import Action, Verdict
from monitor.classify.view import View

CORROBORATION = 0.10
MAX_CORROBORATION = 0.20
CONTEXT_TARGET = 0.10
CONTEXT_AFTER = 2
MAX_SCORE = 0.99
REINSTATEMENT = "reinstatement"
# Only a line with one of these can bind or give context; other body lines go unsplit.
_ANCHORS = frozenset({"action", "platform", "target", ("cue", "actor_pronoun")})
_KINDS = attrgetter("kinds")
_PRONOUN = re.compile(r"\b(?:[Ii]t|[Ww]e)\b")


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Everything the classifier concluded about one article."""

    verdicts: list[Verdict]
    below_threshold: list[Verdict] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    threshold: float = 0.5
    doc: str = ""

    def nearest_misses(self) -> list[tuple[str, str]]:
        """(sentence, reason) of each sentence where a platform and an enforcement verb
        met but were not bound, headline and lead first; verdicts under the threshold
        come first of all."""
        out = [
            (
                v.evidence,
                f"score {v.score:.2f} below threshold {self.threshold:.2f}: "
                f"{v.platform} {v.action} {v.target}",
            )
            for v in self.below_threshold
        ]
        for miss in sorted(self.misses, key=lambda m: m.sentence.index):
            sentence = " ".join(self.doc[miss.sentence.start : miss.sentence.end].split())
            detail = f"{miss.platform or '?'} + '{miss.verb or '?'}': {miss.reason}"
            out.append((sentence, detail))
        return out


def classify(title: str, text: str, lexicon: Lexicon) -> list[Verdict]:
    """Verdicts at or above the lexicon's threshold, best first. Pure and total: any
    input returns a list, possibly empty."""
    return diagnose(title, text, lexicon).verdicts


def diagnose(title: str, text: str, lexicon: Lexicon) -> Diagnosis:
    """Verdicts, the ones under the threshold, and the near misses."""
    doc, text_start = build_document(title or "", text or "")
    hits = Hits(find_hits(lexicon, doc))
    anchors = [h.start for h in hits.hits if not _ANCHORS.isdisjoint(h.kinds)]
    sentences = segment(doc, text_start, lexicon.grammar, anchors)
    bindings, misses, views = _bind_all(doc, hits, sentences, lexicon)
    _resolve_generic(bindings, sentences, views, doc, hits, lexicon)
    verdicts = _apps_by_name(_without_lifted_bans(_verdicts(bindings, doc, lexicon)))
    threshold = lexicon.threshold
    return Diagnosis(
        verdicts=[v for v in verdicts if v.score >= threshold],
        below_threshold=[v for v in verdicts if v.score < threshold],
        misses=misses,
        threshold=threshold,
        doc=doc,
    )


def _apps_by_name(verdicts: list[Verdict]) -> list[Verdict]:
    """ "ICEBlock's creator hits back after Apple pulls his app" and "Apple pulled ICEBlock":
    an article whose only app removal by a platform names no app, and whose removals by
    that platform name one, reports one app removal, of that name."""

    def named(v: Verdict) -> bool:
        return "target:generic" not in v.rules

    apps = [v for v in verdicts if v.action == Action.APP_REMOVAL]
    unnamed_only = {v.platform for v in apps} - {v.platform for v in apps if named(v)}
    renamed = {
        v.platform
        for v in verdicts
        if v.platform in unnamed_only and v.action == Action.REMOVAL and named(v)
    }
    if not renamed:
        return verdicts
    out = []
    for v in verdicts:
        if v.platform not in renamed:
            out.append(v)
        elif v.action == Action.REMOVAL and named(v):
            out.append(replace(v, action=Action.APP_REMOVAL.value))
        elif v.action != Action.APP_REMOVAL:  # the unnamed app: the named removal says which
            out.append(v)
    return out


def _without_lifted_bans(verdicts: list[Verdict]) -> list[Verdict]:
    """A headline that reports a reinstatement makes the ban the text recalls ("banned from
    the platform since 2018") its background: a ban of the same platform and target found
    outside the headline is dropped."""
    lifted = {
        (v.platform, v.target_key)
        for v in verdicts
        if v.action == Action.REINSTATEMENT
        and "position:title" in v.rules
        and "target:generic" not in v.rules
    }
    if not lifted:
        return verdicts
    return [
        v
        for v in verdicts
        if v.action == Action.REINSTATEMENT
        or "position:title" in v.rules
        or (v.platform, v.target_key) not in lifted
    ]


class Hits:
    """An article's hits, with their starts and ends for finding a sentence's."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.starts = [h.start for h in hits]
        self.ends = [h.end for h in hits]

    def inside(self, sentence: Sentence) -> list[Hit]:
        """The hits inside ``sentence``: one slice, as hits never overlap
        (``find_hits``), so both their starts and their ends are in order."""
        start = bisect_left(self.starts, sentence.start)
        return self.hits[start : bisect_right(self.ends, sentence.end)]


def _bind_all(
    doc: str, hits: Hits, sentences: list[Sentence], lexicon: Lexicon
) -> tuple[list[Binding], list[Miss], dict[int, View]]:
    recent = Recent()
    bindings: list[Binding] = []
    misses: list[Miss] = []
    views: dict[int, View] = {}
    for sentence in sentences:
        inside = hits.inside(sentence)
        if not inside:
            continue  # nothing to read, no subject or target to note
        # every kind and (kind, name) the sentence's hits have: one set for the tests below
        kinds: frozenset[object] = frozenset().union(*map(_KINDS, inside))
        if _worth_reading(doc, sentence, kinds, recent):
            view = View(doc, sentence, inside, lexicon.grammar)
            views[sentence.index] = view
            found, missed = bind_sentence(view, recent, lexicon)
            bindings.extend(found)
            misses.extend(missed)
        else:
            _note_subject(sentence, inside, recent)
            if sentence.kind != CLUTTER and _tells_a_loss(kinds):
                view = View(doc, sentence, inside, lexicon.grammar)
                views[sentence.index] = view
                bindings.extend(bind_loss(view, sentence))
        if "target" in kinds or ("cue", "self") in kinds:
            _note_targets(doc, sentence, inside, recent)
    return bindings, misses, views


def _worth_reading(doc: str, sentence: Sentence, kinds: frozenset[object], recent: Recent) -> bool:
    """Only a sentence with an enforcement verb and someone to do it gets tokenised: a
    platform, "the company", or "it"/"we" when earlier sentences named a platform.
    ``kinds``: those of the sentence's hits."""
    if "action" not in kinds:
        return False
    if "platform" in kinds or ("cue", "actor_pronoun") in kinds:
        return True
    if sentence.kind == CLUTTER:
        return False
    return recent.platform_for(sentence.index) is not None and (
        _PRONOUN.search(doc, sentence.start, sentence.end) is not None
        or ("object", "account") in kinds  # "The presenter's account was terminated"
        or ("object", "network") in kinds
    )


def _inside_word(doc: str, hit: Hit) -> bool:
    """A name inside a hyphenated word ("pro-Trump") qualifies it; it names no target."""
    return hit.start > 0 and doc[hit.start - 1] in "-‐"


def _tells_a_loss(kinds: frozenset[object]) -> bool:
    """ "Britain First loses its Facebook page": a loss word and a platform (``kinds``:
    those of the sentence's hits)."""
    return ("cue", "loss") in kinds and "platform" in kinds


def _note_subject(sentence: Sentence, inside: list[Hit], recent: Recent) -> None:
    """Without tokenising: a platform named in a sentence's first words is what the next
    sentence's "it" or "the company" most likely means."""
    if sentence.kind == CLUTTER:
        return
    for hit in inside:
        if hit.start - sentence.start > 40:
            break
        term = hit.of("platform") if "platform" in hit.kinds else None
        if term is not None:
            recent.platform, recent.platform_sentence = term.name, sentence.index
            if sentence.kind == TITLE:
                recent.title_platform = term.name
            return


def _note_targets(doc: str, sentence: Sentence, inside: list[Hit], recent: Recent) -> None:
    """The watchlist names a sentence gives, for "the two broadcasters" later on."""
    if sentence.kind == CLUTTER:
        return
    if sentence.kind == TITLE and any(("cue", "self") in h.kinds for h in inside):
        recent.title_self = True
    listed: dict[str, None] = {}  # in order, once each (a loop: no generator per sentence)
    for h in inside:
        if "target" in h.kinds and not _inside_word(doc, h):
            for t in h.terms:
                if t.kind == "target":
                    listed.setdefault(t.name, None)
    names = tuple(listed)
    if names:
        recent.targets, recent.targets_sentence = names, sentence.index
        if sentence.kind == TITLE:
            recent.title_targets = names


def _resolve_generic(
    bindings: list[Binding],
    sentences: list[Sentence],
    views: dict[int, View],
    doc: str,
    hits: Hits,
    lexicon: Lexicon,
) -> None:
    """Give an ownerless object a name: the watchlist name nearby sentences tie it to;
    for one account, page or channel ("the comedian's channel") the name the headline or
    lead gives; for accounts and pages the network's origin ("linked to Iran and Russia",
    "China-based"), from its sentence, else the headline, else the lead."""
    generic = [b for b in bindings if b.generic]
    if not generic:
        return
    prose = [s for s in sentences if s.kind != CLUTTER]
    order = {s.index: n for n, s in enumerate(prose)}

    def view_of(sentence: Sentence) -> View:
        view = views.get(sentence.index)
        if view is None:
            view = View(doc, sentence, hits.inside(sentence), lexicon.grammar)
            views[sentence.index] = view
        return view

    def linked_in(sentence: Sentence) -> list[tg.Target]:
        """``tg.linked_targets`` of the sentence; without a watchlist name and a link
        word among its hits there are none, and it is not tokenised to find that out."""
        if sentence.index not in views:
            kinds = frozenset().union(*map(_KINDS, hits.inside(sentence)))
            if "target" not in kinds or ("cue", "link") not in kinds:
                return []
        return tg.linked_targets(view_of(sentence))

    named_platforms = {b.platform for b in bindings if not b.generic}
    headline_lead = [s for s in prose if s.kind in (TITLE, LEAD)]
    for binding in generic:
        n = order.get(binding.sentence.index)
        if n is None:
            continue
        person = _linked_person(binding, view_of(binding.sentence), headline_lead, view_of)
        if person is not None:  # "purges pages linked to him": the man the story is about
            _rename(binding, [person], "linked")
            continue
        own = _own_origin(binding, view_of(binding.sentence), lexicon)
        if own is not None:  # "accounts linked to Iran's government": said in the phrase
            _rename(binding, [own], "origin")
            continue
        nearby = [prose[n], *prose[n + 1 : n + 1 + CONTEXT_AFTER]]
        if n > 0:
            nearby.append(prose[n - 1])
        if prose[0].kind == TITLE and prose[0] not in nearby:
            nearby.append(prose[0])
        for sentence in nearby:
            linked = linked_in(sentence)
            if linked:
                _rename(binding, linked, "context", CONTEXT_TARGET)
                break
        else:
            if binding.platform in named_platforms:
                continue  # the article names whom the platform acted on
            if _owned_single(binding.targets[0].name, lexicon):
                owner = _only_handle(prose, view_of, doc) or _owner(
                    headline_lead, view_of, binding.platform, _possessed(binding, view_of)
                )
                if owner is not None:
                    _rename(binding, [owner], "owner")
                continue
            known = _known_as([binding.sentence, *headline_lead], view_of)
            if known is not None:
                _rename(binding, [known], "named_as")
                continue
            if not (
                "object:network" in binding.rules
                or _network_words(binding.targets[0].name, lexicon)
            ) or _outlets(binding.targets[0].name):
                continue
            for sentence in [
                binding.sentence,
                *prose[n + 1 : n + 1 + CONTEXT_AFTER],
                *headline_lead,
            ]:
                countries = tg.origins_in(view_of(sentence), lexicon.origins)
                if countries:
                    _rename(binding, [tg.origin_target(countries)], "origin")
                    break


def _linked_person(
    binding: Binding, view: View, headline_lead: list[Sentence], view_of: Any
) -> tg.Target | None:
    """ "pages linked to him": a network tied by a pronoun to the person the sentence or
    the headline is about ("Gabunada 'surprised' as Facebook purges pages linked to him")."""
    target = binding.targets[0]
    if target.i < 0 or view.low[target.j] not in ("him", "her"):
        return None
    if view.cue_between(target.i, target.j + 1, "link") is None:
        return None
    referent = tg.referent(view, target.i)
    if referent is None:
        for sentence in headline_lead:
            names = tg.names_in(view_of(sentence))
            if names:
                referent = min(names, key=lambda n: n.i)
                break
    if referent is None:
        return None
    return tg.Target(f"network linked to {referent.name}", tg.ORIGIN)


def _own_origin(binding: Binding, view: View, lexicon: Lexicon) -> tg.Target | None:
    """The origin a network's own phrase gives ("accounts linked to Iran's government",
    "chaînes liées à la Chine"), which no other sentence's link overrides."""
    target = binding.targets[0]
    if (
        target.i < 0
        or _outlets(target.name)
        or not ("object:network" in binding.rules or _network_words(target.name, lexicon))
    ):
        return None
    if view.cue_between(target.i, target.j + 1, "link") is None:
        return None
    countries = tg.origins_in(view, lexicon.origins, target.i, target.j + 1)
    return tg.origin_target(countries) if countries else None


def _rename(binding: Binding, targets: list[tg.Target], how: str, bonus: float = 0.0) -> None:
    binding.targets = targets
    binding.score += bonus
    binding.rules[:] = [r for r in binding.rules if r != "target:generic"]
    binding.rules.append(f"target:{how}")


def _network_words(phrase: str, lexicon: Lexicon) -> bool:
    """Accounts, pages, groups or a network: what an unnamed operation is made of."""
    words = set(phrase.lower().replace(",", " ").split())
    return not words.isdisjoint(lexicon.grammar.network_nouns)


def _owned_single(phrase: str, lexicon: Lexicon) -> bool:
    """ "the channel", "his page", "the comedian's channel": one account of someone."""
    words = phrase.lower().replace("’", "'").replace("'s", " 's").split()
    owned = lexicon.grammar.owned_nouns
    if 0 < len(words) <= 3 and (words[-1] in owned or words[-1] in lexicon.grammar.name_titles):
        return True  # "his channel", "the debate streamer"
    # "the former sports presenter's account": one account of someone
    return 0 < len(words) <= 6 and words[-1] in owned and "'s" in words


def _only_handle(sentences: list[Sentence], view_of: Any, doc: str) -> tg.Target | None:
    """The one @handle an article gives, if it gives exactly one: what "the account" is
    ("the account that tracked Musk's jet ... @ElonJet")."""
    handles: dict[str, tg.Target] = {}
    for sentence in sentences:
        if "@" not in doc[sentence.start : sentence.end]:
            continue
        view = view_of(sentence)
        for k in range(view.n - 1):
            if view.low[k] == "@":
                handles.setdefault(
                    view.low[k + 1], tg.Target(view.text(k, k + 1), tg.NAMED, k, k + 1)
                )
    return next(iter(handles.values())) if len(handles) == 1 else None


_KNOWN_AS = frozenset({"known", "dubbed", "nicknamed", "calling", "called", "named"})


def _known_as(sentences: list[Sentence], view_of: Any) -> tg.Target | None:
    """The name a group of accounts or a hacking group goes by: "a hacking group linked to
    Russian military intelligence, known as Strontium or Fancy Bear"."""
    for sentence in sentences:
        view = view_of(sentence)
        for k in range(view.n - 1):
            lead = view.low[k]
            if lead not in _KNOWN_AS or (lead == "known" and view.low[k + 1] != "as"):
                continue
            start = k + 2 if lead == "known" else k + 1
            names = tg.names_in_range(view, start, min(view.n, start + 6))
            if names and names[0].i == start:
                return tg.Target(names[0].name, tg.NAMED, names[0].i, names[0].j)
    return None


def _outlets(phrase: str) -> bool:
    """State media are outlets, not an unnamed network: no origin stands for them."""
    words = phrase.lower().replace("-", " ").split()
    return "media" in words or "outlets" in words or "broadcasters" in words


def _possessed(binding: Binding, view_of: Any) -> bool:
    """Whether the generic object is someone's: "his channel", "their pages"."""
    target = binding.targets[0]
    return target.i > 0 and view_of(binding.sentence).word(target.i - 1) in (
        "his", "her", "their", "my", "our"
    )  # fmt: skip


def _owner(
    sentences: list[Sentence], view_of: Any, platform: str, theirs: bool
) -> tg.Target | None:
    """The first watchlist name, else the longest other name, of the headline, else the
    lead's subject or a possessive there ("Jo Brand's"). Who reacts in a headline owns the
    object only when it is ``theirs`` ("Penrose slams Twitter for suspending his channel",
    not "Cruz, DeSantis attack GoFundMe for cutting off Canadian truckers")."""
    for sentence in sentences:
        view = view_of(sentence)
        listed = tg.watchlist_targets(view, 0, view.n)
        if listed:
            return listed[0]
        for name in tg.names_in(view):
            if sentence.kind != TITLE and not _owner_position(view, name):
                continue  # "said it was cooperating with the FBI": not the owner
            if any(
                view.low[k] in ("who", "which", "that") for k in range(max(0, name.i - 3), name.i)
            ):
                continue  # "suspends teen who hid Uighur criticism": what the clause says
            if view.word(name.j + 1) in view.grammar.name_titles:
                continue  # "Former Apprentice contestant", "BJP MLA": whose role, not who
            if name.i == name.j and view.low[name.i] in view.grammar.name_titles:
                continue  # "An Australian mother ...": a title or an origin, no one's name
            if not theirs and sentence.kind == TITLE and _criticises(view, name):
                continue  # a critic of the platform, not the owner
            if name.name != platform:
                return tg.Target(name.name, tg.NAMED, name.i, name.j)
    return None


def _criticises(view: View, name: tg.Target) -> bool:
    """ "Cruz, DeSantis attack GoFundMe for ...": the name reacts to a platform named after
    its verb (not "Twitch ban on debate streamer is permanent, Bonnell says")."""
    return view.word(name.j + 1) in REACTIONS and any(
        s.i > name.j + 1 and s.has("platform") for s in view.spans
    )


_OF = frozenset({"of", "by", "de", "du", "des", "di", "del", "della", "von", "der"})


def _owner_position(view: View, name: tg.Target) -> bool:
    """Where a lead names an owner: its subject, a possessive ("Jo Brand's"), or after
    "of" ("the page of the singer Anselme Ruiz")."""
    before = view.word(name.i - 1)
    if before in view.grammar.prepositions and before not in _OF:
        return False  # "A 17-year-old from New Jersey": where, not who
    return (
        name.i <= 3
        or view.word(name.j + 1) == "'s"
        or view.word(name.i - 1) in _OF
        or view.word(name.i - 2) in _OF
    )


def _verdicts(bindings: list[Binding], doc: str, lexicon: Lexicon) -> list[Verdict]:
    # A ban-dense article gives ~25 bindings over a handful of names and sentences: keys
    # are computed once per name and per sentence (_verdicts 0.30 -> 0.13 ms per ban-dense
    # article, CPU time over bench/classify.py's set).
    target_keys: dict[str, str] = {}
    sentence_keys: dict[int, str] = {}

    def target_key(name: str) -> str:
        key = target_keys.get(name)
        if key is None:
            key = target_keys[name] = lexicon.target_key(name)
        return key

    def sentence_key(sentence: Sentence) -> str:
        key = sentence_keys.get(sentence.start)
        if key is None:
            key = sentence_keys[sentence.start] = _sentence_key(doc, sentence)
        return key

    groups: dict[tuple[str, str, bool], list[tuple[Binding, tg.Target]]] = {}
    for binding in bindings:
        for target in binding.targets:
            group = (binding.platform, target_key(target.name), binding.action == REINSTATEMENT)
            groups.setdefault(group, []).append((binding, target))
    named_actions = {(b.platform, b.action) for b in bindings if not b.generic}
    generic_scales: dict[tuple[str, str], str] = {}  # the first generic binding's scale
    for b in bindings:
        if b.scale and b.generic:
            generic_scales.setdefault((b.platform, b.action), b.scale)
    verdicts = []
    for (platform, key, _), members in groups.items():
        best, target = max(members, key=_rank)
        if best.generic and (platform, best.action) in named_actions:
            continue
        # one member: no other sentence, and no sentence key to make (most groups)
        others = (
            {sentence_key(b.sentence) for b, _ in members} - {sentence_key(best.sentence)}
            if len(members) > 1
            else set()
        )
        bonus = min(MAX_CORROBORATION, CORROBORATION * len(others))
        rules = [*best.rules, *([f"corroborated:{len(others)}"] if others else [])]
        scale = best.scale or next((b.scale for b, _ in members if b.scale), None)
        if scale is None and not best.generic:
            scale = generic_scales.get((platform, best.action))
        start = best.sentence.start
        verdicts.append(
            Verdict(
                platform=platform,
                action=best.action,
                target=target.name,
                target_key=key,
                score=round(min(MAX_SCORE, best.score + bonus), 3),
                evidence=doc[start : best.sentence.end],
                scale=scale,
                rules=tuple(rules),
                spans=tuple([(a - start, b - start) for a, b in best.spans]),
            )
        )
    verdicts.sort(key=_minus_score)
    return verdicts


def _rank(member: tuple[Binding, tg.Target]) -> tuple[float, int]:
    """The best binding of a group: the highest score, then the earliest sentence."""
    return member[0].score, -member[0].sentence.index


def _minus_score(verdict: Verdict) -> float:
    return -verdict.score


def _sentence_key(doc: str, sentence: Sentence) -> str:
    return " ".join(doc[sentence.start : sentence.end].lower().split())
