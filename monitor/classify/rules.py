"""Sentence rules: bind a platform, as the actor, to an enforcement verb and its object.

For each enforcement verb in a sentence:

1. **Actor.** Active voice: walk back from the verb, within its clause, to the nearest
   actor-like phrase. A platform there is the actor, unless it follows a preposition
   ("on Twitter", "from TikTok") or is a modifier ("Twitter account", "Twitter's rules");
   a pronoun ("it", "the company") takes the nearest platform before it, else the platform
   the previous sentences were about. An authority ("Russia", "a court", "lawmakers") or
   a watchlist name there means the platform is not the actor ("Russia blocks Twitter").
   Passive voice ("was banned by YouTube", "removed from TikTok", "RT's YouTube channel
   was removed"): the platform after by/from/off/on, or the platform modifying the subject.
2. **Vetoes** between actor and verb: negation ("did not ban", "refused to"), hedges
   ("could", "plans to", "threatened to"), calls and orders when the verb is an infinitive
   ("lawmakers urge YouTube to ban", "court orders X to remove"), reported speech about
   someone else ("Twitter said the league had banned ..."), a question.
3. **Object.** The words after the verb up to the end of its phrase (or the passive
   subject): targets (``monitor.classify.targets``), object classes and a scale. Product,
   sport, drug, workplace and ad-category bans (``category`` cues) without a watchlist
   target are not enforcement against anyone.
4. **Action** from the verb class and the object classes (``ACTION_TABLE``):
   ban/block + place -> geo_block, + app or app store -> app_removal, + ads -> ad_ban,
   + fake accounts/influence operation -> network_takedown; remove + app -> app_removal,
   + network -> network_takedown, + monetisation -> demonetisation, else removal;
   suspend -> suspension; restrict -> restriction (geo_block with a place); label -> label;
   withhold/geo-block -> geo_block; demonetise -> demonetisation; reinstate, unban, or
   "lift/reverse" + a ban noun -> reinstatement (the ban noun is then no ban of its own).
5. **Score** (0..1): binding 0.45 (0.40 for a pronoun resolved from an earlier sentence or
   a ban noun), + 0.20 watchlist target, + 0.15 other named or pronoun target, + 0.10 a
   generic object with a number; + 0.25 in the headline, + 0.15 in the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.classify import targets as tg
from monitor.classify.text import CLUTTER, LEAD, TITLE

if TYPE_CHECKING:
    from monitor.classify.lexicon import Term
    from monitor.classify.text import Sentence
    from monitor.classify.view import Span, View

MAX_GAP = 14
WINDOW = 20
PASSIVE_REACH = 5
NOMINAL_GAP = 5
BAN_NOUNS = ("ban", "adban", "suspend", "restrict", "block", "remove")
POSSESSIVE_ACTIONS = frozenset(
    {"decision", "move", "choice", "action", "actions", "crackdown", "latest", "efforts",
     "effort", "purge", "own", "new", "sweeping", "recent", "surprise"}
)  # fmt: skip
APP_OBJECTS = ("account", "network", "app", "app_store")
WATCHLIST = tg.WATCHLIST
SCORES = {
    "base": 0.45,
    "base_weak": 0.40,
    WATCHLIST: 0.20,
    "named": 0.15,
    "generic_number": 0.10,
    TITLE: 0.25,
    LEAD: 0.15,
}

# verb class -> ordered (object flag, action); the first flag present wins, "" always does.
ACTION_TABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "reinstate": (("", "reinstatement"),),
    "lift": (("", "reinstatement"),),
    "withhold": (("", "geo_block"),),
    "demonetise": (("", "demonetisation"),),
    "label": (("", "label"),),
    "adban": (("", "ad_ban"),),
    "adstop": (("", "ad_ban"),),
    "lock": (("", "suspension"),),
    "disrupt": (("", "network_takedown"),),
    "restrict": (
        ("monetisation", "demonetisation"),
        ("location", "geo_block"),
        ("", "restriction"),
    ),
    "suspend": (
        ("monetisation", "demonetisation"),
        ("ad", "ad_ban"),
        ("ad_from", "ad_ban"),
        ("network", "network_takedown"),
        ("", "suspension"),
    ),
    "remove": (
        ("app", "app_removal"),
        ("network", "network_takedown"),
        ("monetisation", "demonetisation"),
        ("ads_off", "demonetisation"),
        ("", "removal"),
    ),
    "block": (
        ("location", "geo_block"),
        ("app", "app_removal"),
        ("ad", "ad_ban"),
        ("ad_from", "ad_ban"),
        ("network", "network_takedown"),
        ("", "ban"),
    ),
    "ban": (
        ("location", "geo_block"),
        ("app", "app_removal"),
        ("ad", "ad_ban"),
        ("ad_from", "ad_ban"),
        ("network", "network_takedown"),
        ("monetisation", "demonetisation"),
        ("", "ban"),
    ),
}


@dataclass(slots=True)
class Binding:
    """One platform bound to one action on its targets in one sentence."""

    platform: str
    action: str
    targets: list[tg.Target]
    sentence: Sentence
    score: float
    rules: list[str]
    spans: list[tuple[int, int]]
    scale: str | None = None
    numeric_scale: bool = False

    @property
    def generic(self) -> bool:
        return all(t.how == tg.GENERIC for t in self.targets)


@dataclass(frozen=True, slots=True)
class Miss:
    """A platform and an enforcement verb in one sentence that were not bound, and why."""

    sentence: Sentence
    reason: str
    platform: str | None = None
    verb: str | None = None


@dataclass(slots=True)
class Context:
    """What earlier sentences said, for pronouns: the platform they were about."""

    platform: str | None = None
    platform_sentence: int = -1
    title_platform: str | None = None

    def recent(self, sentence: Sentence) -> str | None:
        if self.platform and sentence.index - self.platform_sentence <= 2:
            return self.platform
        return self.title_platform


@dataclass(slots=True)
class Actor:
    platform: str
    i: int
    j: int
    how: str  # active | pronoun | pronoun_context | possessive | passive


@dataclass(slots=True)
class _Found:
    bindings: list[Binding] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)


def bind_sentence(
    view: View, context: Context, requires: Mapping[str, str]
) -> tuple[list[Binding], list[Miss]]:
    """Every binding in one sentence, and the misses worth explaining. ``requires`` maps
    a verb class to the object class it needs (the lexicon's ``requires``)."""
    found = _Found()
    sentence = view.sentence
    platforms = [s for s in view.spans if s.has("platform")]
    actions = [s for s in view.spans if s.has("action")]
    if sentence.kind == CLUTTER:
        if platforms and actions:
            found.misses.append(
                Miss(
                    sentence,
                    "page clutter (menu, sidebar or link list)",
                    _name(platforms[0], "platform"),
                    _verb(view, actions[0]),
                )
            )
        return found.bindings, found.misses
    consumed: set[int] = set()
    for span in actions:
        if span.i in consumed:
            continue
        term = _action_term(view, span)
        if term is None:
            continue
        result = _bind(view, span, term, context, consumed, requires.get(term.name))
        if isinstance(result, Binding):
            found.bindings.append(result)
        elif isinstance(result, str) and platforms:
            found.misses.append(
                Miss(sentence, result, _name(platforms[0], "platform"), _verb(view, span))
            )
    _remember(view, context, found.bindings)
    return found.bindings, found.misses


def _remember(view: View, context: Context, bindings: list[Binding]) -> None:
    platform = bindings[0].platform if bindings else None
    if platform is None:
        for span in view.spans:
            if span.has("platform") and _platform_role(view, span, -1) == "actor":
                platform = _name(span, "platform")
                break
    if platform:
        context.platform, context.platform_sentence = platform, view.sentence.index
        if view.sentence.kind == TITLE:
            context.title_platform = platform


def _name(span: Span, kind: str) -> str | None:
    term = span.of(kind)
    return term.name if term else None


def _verb(view: View, span: Span) -> str:
    return view.text(span.i, span.j)


def _action_term(view: View, span: Span) -> Term | None:
    terms = [t for t in span.hit.terms if t.kind == "action"]
    forms = {t.form for t in terms}
    if "noun" in forms and len(forms) > 1:
        prev = view.word(span.i - 1)
        noun = prev in view.grammar.determiners or prev == "'s"
        terms = [t for t in terms if (t.form == "noun") == noun] or terms
    return terms[0] if terms else None


def _bind(
    view: View,
    span: Span,
    term: Term,
    context: Context,
    consumed: set[int],
    required: str | None,
) -> Binding | str | None:
    grammar = view.grammar
    cls, form = term.name, term.form
    rules = [f"verb:{cls}"]
    obj_start = span.j + 1
    if cls == "lift":
        noun = _ban_noun_after(view, span)
        if noun is None:
            return None
        consumed.add(noun.i)
        obj_start = noun.j + 1
        rules.append("reversal")
    if (form == "noun" or cls == "lift") and view.word(obj_start) in ("on", "of", "against", "for"):
        obj_start += 1
    if view.low and view.low[-1] == "?":
        return "a question, not a report"

    aux = view.skip_adverbs_back(span.i - 1)
    passive = form in ("participle", "passive") and view.word(aux) in grammar.passive_aux
    actor: Actor | str | None
    if passive or form == "passive":
        actor = _passive_actor(view, span)
    else:
        actor = _active_actor(view, span, context, form)
        if not isinstance(actor, Actor) and form == "participle":
            passive_actor = _passive_actor(view, span)
            if isinstance(passive_actor, Actor):
                actor, passive = passive_actor, True
    if not isinstance(actor, Actor):
        return actor
    rules.append(f"actor:{actor.how}")

    if passive:
        subject_start = _subject_start(view, span.i)
        veto = _passive_vetoes(view, subject_start, span.i)
        if veto:
            return veto
        window = (
            subject_start,
            max(subject_start, aux if view.word(aux) in grammar.passive_aux else span.i),
        )
        tail = (span.j + 1, _right_bound(view, span.j + 1))
    else:
        veto = _active_vetoes(view, actor, span)
        if veto:
            return veto
        window = (obj_start, _right_bound(view, obj_start))
        tail = window

    flags = _object_flags(view, window, tail, span)
    found = _targets(view, window, actor, flags, span, passive)
    if "category" in flags and not any(t.how == WATCHLIST for t in found):
        return "a product, sport, drug, workplace or ad-category ban, not one against anyone"
    if (
        required
        and required not in flags
        and not (required == "account" and found and found[0].how != tg.GENERIC)
    ):
        return f"'{_verb(view, span)}' needs {'an' if required[0] in 'aeiou' else 'a'} {required} object"
    if not found:
        return "no account, ad, channel, app, network or named target after the verb"
    if actor.how == "pronoun_context" and found[0].how == tg.GENERIC:
        return "a pronoun from an earlier sentence acts on an unnamed object"
    action = _action(cls, flags)
    if action == "ad_ban" and all(t.how == tg.GENERIC for t in found) and "account" not in flags:
        return "an ad-category ban, not one against anyone"
    scale = tg.find_scale(view, *window) or tg.find_scale(view, *tail)
    rules.extend(f"object:{f}" for f in sorted(flags) if f != "category")
    return _binding(view, actor, span, action, found, scale, rules)


def _binding(
    view: View,
    actor: Actor,
    span: Span,
    action: str,
    found: list[tg.Target],
    scale: tuple[str, bool] | None,
    rules: list[str],
) -> Binding:
    sentence = view.sentence
    weak = actor.how in ("pronoun_context",)
    score = SCORES["base_weak" if weak else "base"]
    best = found[0].how
    if best == WATCHLIST:
        score += SCORES[WATCHLIST]
    elif best in (tg.NAMED, tg.PRONOUN):
        score += SCORES["named"]
    elif scale and scale[1]:
        score += SCORES["generic_number"]
    rules.append(f"target:{best}")
    if sentence.kind in (TITLE, LEAD):
        score += SCORES[sentence.kind]
        rules.append(f"position:{sentence.kind}")
    spans = []
    if actor.i >= 0:
        spans.append(view.offsets(actor.i, actor.j))
    spans.append(view.offsets(span.i, span.j))
    spans.extend(view.offsets(t.i, t.j) for t in found if t.i >= 0 and t.how != tg.GENERIC)
    if scale:
        rules.append("scale")
    return Binding(
        platform=actor.platform,
        action=action,
        targets=found,
        sentence=sentence,
        score=score,
        rules=rules,
        spans=sorted(set(spans)),
        scale=scale[0] if scale else None,
        numeric_scale=bool(scale and scale[1]),
    )


def _ban_noun_after(view: View, span: Span) -> Span | None:
    for k in range(span.j + 1, min(view.n, span.j + 5)):
        other = view.at(k)
        if other is not None and other.has("action"):
            return other if any(other.has("action", c) for c in BAN_NOUNS) else None
    return None


# --- actors ----------------------------------------------------------------------------


def _active_actor(view: View, span: Span, context: Context, form: str) -> Actor | str:
    grammar = view.grammar
    k = span.i - 1
    while k >= 0 and span.i - k <= MAX_GAP:
        word = view.low[k]
        if word in (";", ":", "—", "–"):
            break
        if word in grammar.subordinators:
            break
        if word == ",":
            opener = _fronted_clause(view, k)
            if opener is not None:
                k = opener - 1
                continue
        other = view.at(k)
        if other is not None and other is not span:
            if other.has("platform"):
                role = _platform_role(view, other, span.i)
                if role == "actor":
                    platform = _name(other, "platform")
                    assert platform is not None
                    how = "possessive" if view.word(other.j + 1) == "'s" else "active"
                    return Actor(platform, other.i, other.j, how)
                k = other.i - 1
                continue
            if (other.has("cue", "authority") or other.has("cue", "other_actor")) and not (
                view.after_preposition(other.i)
            ):
                return "an authority or other party acts, not the platform"
            if (
                other.has("target")
                and not view.after_preposition(other.i)
                and view.word(other.j + 1) != "'s"
            ):
                return "the named party is the subject, not the platform"
            if other.has("cue", "actor_pronoun") and not view.after_preposition(other.i):
                return _pronoun_actor(view, other.i, other.j, span, context)
            k = other.i - 1
            continue
        if word in grammar.pronouns and word != "they" and not view.after_preposition(k):
            return _pronoun_actor(view, k, k, span, context)
        k -= 1
    return "no platform acts in the verb's clause"


def _platform_role(view: View, span: Span, verb_at: int) -> str:
    """actor, context (after a preposition, possessive of something else) or modifier."""
    grammar = view.grammar
    if view.after_preposition(span.i):
        return "context"
    nxt = view.word(span.j + 1)
    if nxt == "'s":
        after = view.word(span.j + 2)
        if span.j + 2 == verb_at or after in POSSESSIVE_ACTIONS:
            return "actor"
        return "context"
    if nxt in grammar.modifier_nouns or nxt == "-":
        return "modifier"
    if span.j + 1 == verb_at or nxt not in ("(",):
        return "actor"
    return "actor"


def _fronted_clause(view: View, comma: int) -> int | None:
    """Where a fronted subordinate clause ending at ``comma`` starts ("Twitter, after a
    review, banned RT"), so the walk can skip it."""
    k = comma - 1
    while k >= 0 and view.low[k] not in (",", ";"):
        k -= 1
    first = k + 1
    if first < comma and view.low[first] in view.grammar.subordinators:
        return first
    return None


def _pronoun_actor(view: View, i: int, j: int, span: Span, context: Context) -> Actor | str:
    """Resolve a pronoun actor: "it" / "the company" -> the platform named before it in the sentence, else one
    named right after a quote ("'We removed them,' TikTok said"), else the platform the
    previous sentences were about."""
    for other in reversed(view.spans[: _span_index(view, i)]):
        if other.has("platform") and not view.after_preposition(other.i):
            if (
                view.word(other.j + 1) in view.grammar.modifier_nouns
                and view.word(other.j + 1) not in view.grammar.actor_nouns
            ):
                continue
            platform = _name(other, "platform")
            assert platform is not None
            return Actor(platform, i, j, "pronoun")
    for other in view.spans:
        if (
            other.i > span.j
            and other.has("platform")
            and view.word(other.j + 1) in view.grammar.reporting
        ):
            platform = _name(other, "platform")
            assert platform is not None
            return Actor(platform, i, j, "pronoun")
    recent = context.recent(view.sentence)
    if recent:
        return Actor(recent, i, j, "pronoun_context")
    return "a pronoun acts, and no platform is named before it"


def _span_index(view: View, token: int) -> int:
    for n, other in enumerate(view.spans):
        if other.i >= token:
            return n
    return len(view.spans)


def _passive_actor(view: View, span: Span) -> Actor | str:
    """The actor of a passive verb: "was banned by YouTube", "removed from TikTok", "barred from buying Twitter
    adverts", "RT's YouTube channel was removed"."""
    grammar = view.grammar
    k = span.j + 1
    while k < view.n and k <= span.j + PASSIVE_REACH:
        word = view.low[k]
        if word in grammar.passive_by:
            for m in range(k + 1, min(view.n, k + 4)):
                other = view.at(m)
                if other is not None and other.has("platform"):
                    platform = _name(other, "platform")
                    assert platform is not None
                    return Actor(platform, other.i, other.j, "passive")
                if view.low[m] in (",", ";") or view.low[m] in grammar.right_bounds:
                    break
        if word in (",", ";") or (word in grammar.right_bounds and word != "for"):
            break
        k += 1
    start = _subject_start(view, span.i)
    for other in view.spans_between(start, span.i, "platform"):
        if view.word(other.j + 1) in grammar.modifier_nouns and not view.after_preposition(other.i):
            platform = _name(other, "platform")
            assert platform is not None
            return Actor(platform, other.i, other.j, "passive")
    return "passive: no platform after by/from/off/on"


def _subject_start(view: View, verb_at: int) -> int:
    grammar = view.grammar
    k = verb_at - 1
    while k >= 0:
        word = view.low[k]
        if word in (";", ":") or word in grammar.subordinators or word in ("that", "which", "who"):
            return k + 1
        if word in grammar.reporting:
            return k + 1
        k -= 1
    return 0


# --- vetoes ----------------------------------------------------------------------------


def _active_vetoes(view: View, actor: Actor, span: Span) -> str | None:
    grammar = view.grammar
    between = (actor.j + 1, span.i)
    if actor.how == "pronoun_context" or actor.how == "pronoun":
        between = (actor.j + 1, span.i)
    if _negated(view, *between):
        return "negated ('did not', 'refused to', 'never')"
    if view.cue_between(*between, "hedge"):
        return "hedged: planned, possible or threatened, not done"
    infinitive = view.word(view.skip_adverbs_back(span.i - 1)) == "to"
    clause = _clause_start(view, actor.i)
    if infinitive and view.cue_between(clause, span.i, "pressure"):
        return "a call, demand or order to act, not an action"
    if view.cue_between(max(clause, actor.i - 3), actor.i, "pressure"):
        return "a call, demand or order to act, not an action"
    if view.cue_between(max(clause, actor.i - 2), actor.i, "negation"):
        return "negated ('neither', 'not')"
    if clause > 0 and view.word(clause - 1) in ("whether", "if", "unless"):
        return "hedged: whether/if"
    reporting = [k for k in range(*between) if view.low[k] in grammar.reporting]
    if reporting and actor.how != "pronoun":
        after = reporting[-1] + 1
        if not any(
            view.low[k] in grammar.pronouns
            or (
                view.at(k) is not None
                and (view.at(k).has("platform") or view.at(k).has("cue", "actor_pronoun"))
            )  # type: ignore[union-attr]
            for k in range(after, span.i)
        ):
            return "reported speech about someone else's action"
    term = _action_term(view, span)
    if term is not None and term.form == "noun":
        gap = range(actor.j + 1, span.i)
        allowed = grammar.determiners | grammar.nominal_lead | grammar.skip_adverbs
        if len(gap) > NOMINAL_GAP or any(
            view.low[k] not in allowed
            and view.low[k] not in ("has", "have", "had", "will", "'s", "its", "own")
            and view.low[k] not in POSSESSIVE_ACTIONS
            and view.low[k] != "to"
            for k in gap
        ):
            return "a ban noun the platform is not the author of"
    return None


def _passive_vetoes(view: View, start: int, verb_at: int) -> str | None:
    if _negated(view, start, verb_at):
        return "negated ('was not banned')"
    if view.cue_between(start, verb_at, "hedge"):
        return "hedged: could be, may be, would be"
    before = view.skip_adverbs_back(verb_at - 1)
    if view.word(before - 1) == "to" and view.cue_between(0, verb_at, "pressure"):
        return "a call, demand or order to act, not an action"
    return None


def _negated(view: View, start: int, end: int) -> bool:
    if view.cue_between(start, end, "negation"):
        return True
    return any(view.low[k] in ("'t", "not", "never") for k in range(start, end))


def _clause_start(view: View, k: int) -> int:
    grammar = view.grammar
    while k > 0:
        word = view.low[k - 1]
        if word in (";", ":") or word in grammar.subordinators:
            return k
        k -= 1
    return 0


# --- objects ---------------------------------------------------------------------------


def _right_bound(view: View, start: int) -> int:
    grammar = view.grammar
    k = start
    while k < view.n and k - start < WINDOW:
        word = view.low[k]
        if word in (";", ":", "—", "–", "?", "!") or (word == "." and k == view.n - 1):
            return k
        if (
            k > start
            and word in grammar.right_bounds
            and not (word == "as" and view.word(k - 1) == "such")
        ):
            return k
        if word in ("and", ",") and _new_clause(view, k + 1):
            return k
        k += 1
    return k


def _new_clause(view: View, k: int) -> bool:
    other = view.at(k)
    if other is None or not (other.has("platform") or other.has("cue", "authority")):
        return False
    return any(
        view.at(m) is not None and view.at(m).has("action") for m in range(other.j + 1, other.j + 4)
    )  # type: ignore[union-attr]


def _object_flags(
    view: View, window: tuple[int, int], tail: tuple[int, int], verb: Span
) -> set[str]:
    flags: set[str] = set()
    for start, end in {window, tail}:
        for other in view.spans:
            if not (start <= other.i < end):
                continue
            for term in other.hit.terms:
                if term.kind == "object" and term.name == "app_store":
                    flags.add("app")
                elif term.kind == "object" and term.name == "app":
                    if not _platform_wide(view, other.i):
                        flags.add("app")
                elif term.kind == "object":
                    flags.add(term.name)
                elif term.kind == "cue" and term.name == "location":
                    if view.word(other.i - 1) in ("in", "across", "throughout", "within"):
                        flags.add("location")
                elif term.kind == "cue" and term.name == "category":
                    flags.add("category")
            if other.has("object", "ad") and _ad_off_content(view, other, end):
                flags.add("ads_off")
    for other in view.spans:  # "... from advertising", "from buying ads", anywhere after
        if other.i > verb.j and other.has("object", "ad"):
            k = other.i - 1
            while k > verb.j and view.low[k] in (
                "buying",
                "running",
                "placing",
                "purchasing",
                "taking",
                "out",
                "any",
                "paid",
                "on",
                "its",
                "the",
            ):
                k -= 1
            if view.word(k) == "from":
                flags.add("ad_from")
    return flags


def _platform_wide(view: View, k: int) -> bool:
    """In "banned RT from its apps" the apps are where, not what."""
    k -= 1
    while k >= 0 and view.low[k] in ("its", "their", "all", "the", "of", "company's", "'s", "both"):
        k -= 1
    return view.word(k) in ("from", "on", "across", "in", "throughout")


def _ad_off_content(view: View, ad: Span, end: int) -> bool:
    """In "pulled ads from his videos" ads are taken off content: demonetisation."""
    if view.word(ad.j + 1) not in ("from", "on", "off"):
        return False
    for k in range(ad.j + 2, min(end, ad.j + 6)):
        other = view.at(k)
        if other is not None and (
            other.has("object", "content") or view.low[k] in ("channel", "channels")
        ):
            return True
    return False


def _targets(
    view: View,
    window: tuple[int, int],
    actor: Actor,
    flags: set[str],
    verb: Span,
    passive: bool,
) -> list[tg.Target]:
    start, end = window
    found = tg.watchlist_targets(view, start, end)
    found += tg.platform_targets(view, start, end, actor.platform)
    pronoun = tg.pronoun_target(view, start, end, verb.i if not passive else start)
    if passive and not found and tg.subject_pronoun(view, start, end):
        pronoun = pronoun or _referent_before(view, start)
    if pronoun and all(t.name != pronoun.name for t in found):
        found.insert(0, pronoun) if not found else found.append(pronoun)
    if found:
        return found
    name = tg.proper_name(view, start, end)
    if name is not None:
        return [name]
    generic = tg.generic_target(view, start, end, APP_OBJECTS)
    return [generic] if generic is not None else []


def _referent_before(view: View, start: int) -> tg.Target | None:
    for span in reversed(view.spans_between(0, start, "target")):
        term = span.of("target")
        assert term is not None
        return tg.Target(term.name, tg.PRONOUN, span.i, span.j)
    return None


def _action(cls: str, flags: set[str]) -> str:
    for flag, action in ACTION_TABLE.get(cls, (("", "ban"),)):
        if not flag or flag in flags:
            return action
    return "ban"
