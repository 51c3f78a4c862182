"""Sentence rules: bind a platform, as the actor, to an enforcement verb and its object.

For each enforcement verb in a sentence:

1. **Actor** (``monitor.classify.actors``): the platform that acts, in active or passive
   voice, or the reason there is none ("Russia blocks Twitter": an authority acts).
2. **Vetoes**: negation ("did not ban", "refused to"), hedges ("could", "plans to",
   "threatened to"), calls and orders when the verb is an infinitive ("lawmakers urge
   YouTube to ban", "court orders X to remove"), reported speech about someone else
   ("Twitter said the league had banned ..."), a question, removal at the owner's request,
   a passive ban mentioned as background ("a year after he was banned from Twitter").
3. **Object** (``monitor.classify.objects``): targets, object classes, the action and a
   scale. Product, sport, drug, workplace and ad-category bans (``category`` cues at the
   object's head) without a watchlist target are no enforcement against anyone.
4. **Score** (0..1): binding 0.45 (0.40 when the actor is a pronoun resolved from an
   earlier sentence), + 0.20 watchlist target, + 0.15 other named or pronoun target,
   + 0.10 a generic object with a number in digits; + 0.25 in the headline, + 0.15 in the
   lead; - 0.20 in a clause opened by after/since/before/when (background).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING

from monitor.classify import actors, objects
from monitor.classify import targets as tg
from monitor.classify.actors import Actor, Recent
from monitor.classify.text import CLUTTER, LEAD, TITLE

if TYPE_CHECKING:
    from monitor.classify.lexicon import Lexicon, Term
    from monitor.classify.text import Sentence
    from monitor.classify.view import Span, View

NOMINAL_GAP = 5
BAN_NOUNS = ("ban", "adban", "suspend", "restrict", "block", "remove")
BACKGROUND = frozenset(
    {"after", "since", "before", "once", "when", "until", "bevor", "nachdem", "wenn", "avant",
     "après", "lorsque", "quand", "prima", "dopo", "quando", "antes", "después", "cuando"}
)  # fmt: skip
RETURN_WORDS = frozenset({"back", "return"})
WATCHLIST = tg.WATCHLIST
SCORES = {
    "base": 0.45,
    "base_weak": 0.40,
    WATCHLIST: 0.20,
    "named": 0.15,
    "generic_number": 0.10,
    TITLE: 0.25,
    LEAD: 0.15,
    "background": -0.20,
}
_NAME = attrgetter("name")
_NEGATIONS = frozenset({"'t", "not", "never"})
NOMINAL_GAP_WORDS = frozenset(
    {"has", "have", "had", "will", "'s", "its", "own", "to", "major", "tough", "tougher",
     "strict", "stricter", "severe", "heavy", "significant", "serious", "fresh", "further"}
)  # fmt: skip


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
        # a loop, not all() over a generator: ~70 calls per ban-dense article
        for target in self.targets:  # noqa: SIM110
            if target.how != tg.GENERIC:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Miss:
    """A platform and an enforcement verb in one sentence that were not bound, and why."""

    sentence: Sentence
    reason: str
    platform: str | None = None
    verb: str | None = None


def bind_sentence(view: View, recent: Recent, lexicon: Lexicon) -> tuple[list[Binding], list[Miss]]:
    """Every binding in one sentence, and the misses worth explaining."""
    sentence = view.sentence
    platforms, verbs = [], []
    for s in view.spans:  # one loop, not two comprehensions
        if "platform" in s.kinds:
            platforms.append(s)
        if "action" in s.kinds:
            verbs.append(s)
    bindings: list[Binding] = []
    misses: list[Miss] = []
    if sentence.kind == CLUTTER:
        if platforms and verbs:
            reason = "page clutter (menu, sidebar or link list)"
            first_platform = actors.name(platforms[0], "platform")
            misses.append(Miss(sentence, reason, first_platform, _verb(view, verbs[0])))
        return bindings, misses
    consumed: set[int] = set()
    for span in verbs:
        if span.i in consumed:
            continue
        term = _action_term(view, span)
        if term is None or _named_verb(view, span):
            continue
        result = _bind(view, span, term, recent, consumed, lexicon)
        if isinstance(result, Binding):
            bindings.append(result)
            bindings.extend(_joint_actors(view, result))
        elif isinstance(result, str) and platforms:
            first_platform = actors.name(platforms[0], "platform")  # only for a miss
            misses.append(Miss(sentence, result, first_platform, _verb(view, span)))
    _remember(view, recent, bindings)
    return bindings, misses


def _joint_actors(view: View, binding: Binding) -> list[Binding]:
    """ "Apple and Google deleted the app", "Facebook and Instagram ban Alex Jones": each
    platform of a subject that lists several acted."""
    if "actor:active" not in binding.rules:
        return []
    actor_at = None
    for s in view.spans:  # the platform the binding names as its actor
        if "platform" in s.kinds and view.offsets(s.i, s.j) in binding.spans:
            actor_at = s
            break
    if actor_at is None:
        return []
    out = []
    k = actor_at.i - 1
    while k > 0 and view.low[k] in ("and", ",", "&"):
        other = view.at(k - 1)
        if other is None or not other.has("platform") or view.after_preposition(other.i):
            break
        platform = actors.name(other, "platform")
        if platform != binding.platform:
            out.append(replace(binding, platform=platform, rules=[*binding.rules, "actor:joint"]))
        k = other.i - 1
    return out


LOSS_REACH = 6
_LOSS_ACTIONS = {"account": "removal", "service": "removal", "ad": "ad_ban",
                 "monetisation": "demonetisation"}  # fmt: skip


def bind_loss(view: View, sentence: Sentence) -> list[Binding]:
    """ "<Name> loses (its) <Platform> <page|channel|protection|ads>": the named subject
    lost what the platform gave it, the platform's action on it. Only with a name right
    before the verb and a platform and an account, service or ad word right after it
    ("loses key features" or "loses followers on Twitter" is no action)."""
    out = []
    for span in view.spans:
        if not span.has("cue", "loss"):
            continue
        names = [
            n
            for n in tg.names_in_range(view, 0, span.i)
            if n.j >= span.i - 2 and not _after_preposition(view, n.i)
        ]
        if not names and view.word(span.j + 1) in ("his", "her", "its", "their"):
            # "Spencer decries censorship after losing his Twitter accounts": the subject
            names = tg.names_in_range(view, 0, min(span.i, 3))[:1]
        if not names:
            continue
        platform = action = None
        for other in view.spans:
            if not (span.j < other.i <= span.j + LOSS_REACH):
                continue
            if other.has("platform") and platform is None:
                platform = actors.name(other, "platform")
            for flag, mapped in _LOSS_ACTIONS.items():
                if action is None and other.has("object", flag):
                    action = mapped
        if platform is None or action is None:
            continue
        rules = ["verb:lose", "actor:object", "target:named"]
        score = SCORES["base"] + SCORES["named"]
        if sentence.kind in (TITLE, LEAD):
            score += SCORES[sentence.kind]
            rules.append(f"position:{sentence.kind}")
        target = names[-1]
        out.append(
            Binding(
                platform=platform,
                action=action,
                targets=[tg.Target(target.name, tg.NAMED, target.i, target.j)],
                sentence=sentence,
                score=score,
                rules=rules,
                spans=[view.offsets(span.i, span.j), view.offsets(target.i, target.j)],
            )
        )
    return out


def _remember(view: View, recent: Recent, bindings: list[Binding]) -> None:
    platform = bindings[0].platform if bindings else None
    if platform is None and view.sentence.kind == TITLE and recent.title_platform is None:
        # "Holt gone from YouTube": the story is about YouTube, whoever acts in the title
        named = next(
            (
                s
                for s in view.spans
                if s.has("platform") and view.word(s.i - 1) in ("from", "off", "on", "of")
            ),
            None,
        )
        if named is not None:
            recent.title_platform = actors.name(named, "platform")
    if platform is None:
        for span in view.spans:
            if not span.has("platform"):
                continue
            verb = -1
            for s in view.spans:  # the first verb after the platform
                if s.i > span.j and "action" in s.kinds:
                    verb = s.i
                    break
            if actors.platform_role(view, span, verb) == "actor":
                platform = actors.name(span, "platform")
                break
    if platform:
        recent.platform, recent.platform_sentence = platform, view.sentence.index
        if view.sentence.kind == TITLE:
            recent.title_platform = platform


def _verb(view: View, span: Span) -> str:
    return view.text(span.i, span.j)


def _action_term(view: View, span: Span) -> Term | None:
    terms = []
    for t in span.hit.terms:  # a loop: most hits have one term
        if t.kind == "action":
            terms.append(t)
    if len(terms) < 2:
        return terms[0] if terms else None
    forms = {t.form for t in terms}
    if "noun" in forms and len(forms) > 1:
        prev = view.word(span.i - 1)
        before = view.at(span.i - 1)
        noun = (
            prev in view.grammar.determiners
            or prev == "'s"
            or (before is not None and before.has("target") and view.word(before.i - 1) == "'s")
            # "Alex Jones calls PayPal ban an attempt": one platform does not "ban", it "bans"
            or (
                before is not None
                and before.has("platform")
                and view.word(before.i - 1) not in ("and", ",", "&", "to", "will", "would")
                and not view.word(before.i - 1).endswith("n't")
                and view.word(before.i - 1) not in view.grammar.passive_aux
                and not view.low[span.i].endswith("s")
                and view.word(before.i - 1)
                not in ("did", "does", "do", "can", "could", "may", "might", "must", "should")
            )
        )  # "Facebook's QAnon purge"
        terms = [t for t in terms if (t.form == "noun") == noun] or terms
    return terms[0] if terms else None


def _bind(
    view: View,
    span: Span,
    term: Term,
    recent: Recent,
    consumed: set[int],
    lexicon: Lexicon,
) -> Binding | str | None:
    grammar = view.grammar
    cls, form = term.name, term.form
    rules = [f"verb:{cls}"]
    obj_start, obj_end = span.j + 1, -1
    if cls == "lift":
        noun = _ban_noun_after(view, span)
        if noun is None:
            return None
        consumed.add(noun.i)
        obj_start = noun.j + 1
        rules.append("reversal")
    elif "return" in lexicon.requires.get(cls, ()):
        back = next(
            (k for k in range(span.j + 1, min(view.n, span.j + 7)) if view.low[k] in RETURN_WORDS),
            -1,
        )
        if back < 0:
            return None
        obj_end = back
        rules.append("reversal")
    if (form == "noun" or cls == "lift") and view.word(obj_start) in ("on", "of", "against", "for"):
        obj_start += 1
    if view.low and view.low[-1] == "?":
        return "a question, not a report"
    if recent.title_self or view.cue_between(0, view.n, "self"):
        return "done at the owner's request, not enforcement"

    aux = view.skip_adverbs_back(span.i - 1)
    passive = form in ("participle", "passive") and view.word(aux) in grammar.passive_aux
    actor: Actor | str
    if not passive and _german_passive(view, span, cls):
        passive = True  # "Konten ... wurden vom Betreiber entfernt": the verb comes last
    if not passive and form == "participle" and _no_object(view, span):
        passive = True  # a headline's "Tumblr booted from Apple's App Store": no object
    if form == "passive" and view.word(aux) in ("has", "have", "had"):
        return 'an active perfect, not a passive ("the app has taken off")'
    passive = passive or form == "passive"  # "WallStreetBets kicked off Discord"
    if passive:
        actor = actors.passive_actor(view, span, recent)
    else:
        actor = actors.active_actor(view, span, recent)
        if (
            not isinstance(actor, Actor)
            and (form == "participle" or _also_participle(span, cls))
            and view.word(aux) not in ("has", "have", "had")  # "X has switched off ..."
        ):
            passive_actor = actors.passive_actor(view, span, recent)
            if isinstance(passive_actor, Actor):
                actor, passive = passive_actor, True
    owned_noun = None
    if not isinstance(actor, Actor) and form == "noun":
        owned_noun = _owned_ban_noun(view, span)
        if owned_noun is not None:
            actor = owned_noun[0]
    if not isinstance(actor, Actor):
        return actor
    rules.append(f"actor:{actor.how}")
    if owned_noun is not None:
        if actors.governing_subordinator(view, span.i) in BACKGROUND:
            return "a past ban mentioned as background"  # "after his removal from Facebook"
        return _binding(
            view, actor, span, objects.action_for(cls, set()), [owned_noun[1]], None, rules
        )

    if passive:
        subject_start = actors.subject_start(view, span.i)
        veto = _passive_vetoes(view, subject_start, span.i)
        if veto:
            return veto
        verb_start = aux if view.word(aux) in grammar.passive_aux else span.i
        window = (
            subject_start,
            _subject_head_end(view, subject_start, max(subject_start, verb_start)),
        )
        tail = (span.j + 1, objects.right_bound(view, span.j + 1))
        opener = actors.governing_subordinator(view, subject_start)
    else:
        veto = _active_vetoes(view, actor, span, term)
        if veto:
            return veto
        window = (obj_start, obj_end if obj_end >= 0 else objects.right_bound(view, obj_start))
        tail = window
        opener = actors.governing_subordinator(view, actor.i if actor.i >= 0 else span.i)
    if passive and opener in BACKGROUND and not _reaction_headline(view, span):
        return "a past ban mentioned as background"
    if _pluperfect(view, aux, span):
        return "a past ban mentioned as background ('had previously', 'had been')"
    extra = objects.extension(view, window[1])
    kin = _kin(lexicon, actor.platform)
    found = objects.find_targets(view, window, extra, actor, span, passive, recent, kin)
    if form == "noun" and not found and actor.j + 1 < span.i:
        found = tg.watchlist_targets(view, actor.j + 1, span.i)  # "Facebook's QAnon purge"
    if form == "noun" and not found and actor.j + 1 == span.i:
        found = _reacting_subject(view, actor.i)  # "Alex Jones calls PayPal ban an attempt"
    if not found and not passive and view.cue_between(window[0], window[1], "actor_pronoun"):
        referent = tg.referent(view, actor.i)  # "told Lantern Radio it will stop ... the site"
        found = [referent] if referent is not None else []
    if not found and not passive and actor.i >= 0:
        perfect = _german_perfect(view, actor.j, span)
        if perfect >= 0:  # "Apple hat alle Apps von VK aus dem App Store entfernt"
            window = (perfect + 1, span.i)
            found = objects.find_targets(view, window, extra, actor, span, True, recent, kin)
    if not found and not passive and actor.i > 0 and _nothing_after(view, span.j + 1):
        before = _object_before(view, actor.i)
        if before is not None:  # "accounts Twitter took down": the object comes first
            window = (before, actor.i)
            found = objects.find_targets(view, window, extra, actor, span, True, recent, kin)
    named = bool(found) and found[0].how != tg.GENERIC
    flags = objects.object_flags(view, window, tail, span, named)
    if passive and view.cue_between(window[0], window[1], "category"):
        flags.add("category")  # "Apps used to operate vaping devices are being dropped"
    if (
        extra[1] > extra[0]
        and view.word(extra[0]) in ("that", "which", "who")
        and _network_from(view, *extra)
    ):
        flags.add("network")  # "accounts that it linked to influence operations"
    if not lexicon.network_targets.isdisjoint(map(_NAME, found)):
        flags.add("network")
    if (
        "network" in flags
        or _after_links(view, found, lexicon)
        or ("account" in flags and _only_places(found, lexicon))
    ):
        found = _origins_as_origin(found, lexicon)
    if "category" in flags and not any(t.how == WATCHLIST for t in found):
        return "a product, sport, drug, workplace or ad-category ban, not one against anyone"
    requires = lexicon.requires.get(cls, ())
    required = [r for r in requires if r != "return"] if requires else []
    # "X locked out of Twitter", "banned Alex Jones": a named person stands for an account;
    # not for "vanished from" ("Neil Young vanishes from Spotify": he may have left)
    person_is_account = "account" in required and cls != "vanish"
    if form == "passive" and passive and found and person_is_account:
        required = []  # "X locked out of Twitter": what is locked out is an account
    if required and not flags.intersection(required) and not (person_is_account and named):
        return f"'{_verb(view, span)}' needs its object to be: {' or '.join(required)}"
    if not found:
        return "no account, ad, channel, app, network or named target after the verb"
    if actor.how == "pronoun_context" and not named:
        return "a pronoun from an earlier sentence acts on an unnamed object"
    if actor.how == "passive_context" and not named and "'s" not in view.low[window[0] : window[1]]:
        return "no platform named, and nothing says whose accounts"
    action = objects.action_for(cls, flags)
    if action == "ad_ban" and not named and "account" not in flags:
        return "an ad-category ban, not one against anyone"
    scale = tg.find_scale(view, *window)
    if scale is None and tail != window:  # an active verb's tail is its window: one scan
        scale = tg.find_scale(view, *tail)
    for flag in sorted(flags):
        if flag != "category":
            rules.append(f"object:{flag}")
    binding = _binding(view, actor, span, action, found, scale, rules)
    if opener in BACKGROUND:
        binding.score += SCORES["background"]
        binding.rules.append(f"background:{opener}")
    return binding


def _network_from(view: View, start: int, end: int) -> bool:
    """A network word starts in tokens [start, end). (A loop, not any() over a
    generator: this runs for most verbs.)"""
    for s in view.spans:  # noqa: SIM110
        if start <= s.i < end and ("object", "network") in s.kinds:
            return True
    return False


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
    weak = actor.how in ("pronoun_context", "passive_context", "passive_sentence")
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
    for t in found:
        if t.i >= 0 and t.how != tg.GENERIC:
            spans.append(view.offsets(t.i, t.j))
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


_INSERT_OPENERS = frozenset({"the", "a", "an", "which", "who", "whose", "where", "when"})


def _subject_head_end(view: View, start: int, end: int) -> int:
    """Where a passive's subject ends before a phrase set off by a comma: "Fransen's
    account, shared by Trump, suspended", "The r/WallStreetBets server, where the traders
    behind the GameStop rally met, was banned". A list of names goes on ("Press TV, RT
    and Sputnik were banned")."""
    for k in range(start + 1, end):
        if view.low[k] in actors.RELATIVES and actors.relative_after_object(view, k):
            return k  # "A Twitter account that followed Musk's jet": the account
        if view.low[k] == "who" and view.low[k - 1] != ",":
            return k  # "The activist who dined with X and Y": the activist
        if view.low[k] != ",":
            continue
        nxt = view.tokens.raw[k + 1] if k + 1 < end else ""
        if view.low[k + 1] in _INSERT_OPENERS if k + 1 < end else False:
            return k
        if nxt[:1].islower():
            return k
        return end
    return end


@lru_cache(maxsize=256)  # per lexicon (hashed by identity) and platform: a table, not state
def _kin(lexicon: Lexicon, platform: str) -> frozenset[str]:
    """The products enforced together with ``platform`` (Meta's Facebook and Instagram):
    "Meta removed his Facebook and Instagram accounts" names where, not whom."""
    family = lexicon.families.get(platform, platform)
    if family not in lexicon.joint_families:
        return frozenset({platform})
    return frozenset(p for p, f in lexicon.families.items() if f == family) | {platform}


def _after_links(view: View, found: list[tg.Target], lexicon: Lexicon) -> bool:
    """Every name found is a place a link word ties the object to ("chaînes liées à la
    Chine", "accounts tied to Iran"): an origin, not whom the platform acted on."""
    if not found:
        return False
    for target in found:
        k = target.i - 1
        while k >= 0 and view.low[k] in ("the", "la", "le", "l'", "el", "il", "der", "die"):
            k -= 1
        if target.i < 0 or view.cue_between(max(0, k - 2), k + 1, "link") is None:
            return False
    return True


def _only_places(found: list[tg.Target], lexicon: Lexicon) -> bool:
    """Every name found is a country or city ("Konten aus Serbien", "accounts from the
    UAE"): a place holds no account; the accounts are a network from there. (Not an origin's
    other signs: "Tatmadaw" names the army itself.)"""
    places = [lexicon.origins.get(t.name.lower()) for t in found]
    return bool(found) and all(p is not None and p[1] for p in places)


def _origins_as_origin(found: list[tg.Target], lexicon: Lexicon) -> list[tg.Target]:
    """ "a network run from Peru": the place a network is run from is its origin, not
    whom the platform acted on."""
    places = [lexicon.origins.get(t.name.lower()) for t in found]
    if not found or not all(
        p is not None and t.how == tg.NAMED for p, t in zip(places, found, strict=True)
    ):
        return found
    return [tg.origin_target([p[0] for p in places if p is not None])]


_GERMAN_AUX = frozenset({"wurde", "wurden", "worden", "wird", "werden"})


def _after_preposition(view: View, k: int) -> bool:
    """ "who found fame on The Apprentice has lost ...": a name after a preposition ends a
    phrase about the subject; it is not the subject."""
    m = k - 1 if view.word(k - 1) in ("the", "a", "an") else k
    return view.word(m - 1) in _PHRASE_PREPOSITIONS


# Prepositions that start a phrase inside a subject ("as" and "after" start a clause:
# "Streamers react as Dr Disrespect loses his channel").
_PHRASE_PREPOSITIONS = frozenset({"on", "in", "at", "of", "for", "with", "from", "by", "about"})


_GERMAN_HAVE = frozenset({"hat", "haben", "hatte", "hatten"})


def _german_perfect(view: View, actor_end: int, span: Span) -> int:
    """A German perfect, "<platform> hat <object> <participle>": the object stands between
    the auxiliary right after the platform and the participle that closes the clause. The
    auxiliary's index, else -1."""
    aux = actor_end + 1
    if view.word(aux) not in _GERMAN_HAVE or span.i - aux < 2:
        return -1
    if view.word(span.j + 1) not in (".", ",", ";", "") or not any(
        t.kind == "action" and t.form == "participle" for t in span.hit.terms
    ):
        return -1
    return aux


def _german_passive(view: View, span: Span, cls: str) -> bool:
    """A German passive: "wurde(n)" before a participle that closes the clause."""
    if _GERMAN_AUX.isdisjoint(view.low[max(0, span.i - 6) : span.i]):
        return False  # the cheap test first: most verbs have no German auxiliary before them
    return _also_participle(span, cls) or any(
        t.kind == "action" and t.form == "participle" for t in span.hit.terms
    )


def _also_participle(span: Span, cls: str) -> bool:
    """ "cut off" is a verb and a participle: "Campaign group cut off by PayPal"."""
    return any(
        t.kind == "action" and t.name == cls and t.form == "participle" for t in span.hit.terms
    )


def _no_object(view: View, span: Span) -> bool:
    """A participle followed at once by "from"/"off"/"by" and a platform has no object:
    "X booted from the App Store" is passive ("Apple removed X from the App Store" has
    one)."""
    k = view.skip_adverbs(span.j + 1)
    if view.word(k) not in ("from", "off", "by"):
        return False
    for m in range(k + 1, min(view.n, k + 4)):
        other = view.at(m)
        if other is not None and other.has("platform"):
            return True
    return False


def _ban_noun_after(view: View, span: Span) -> Span | None:
    for k in range(span.j + 1, min(view.n, span.j + 5)):
        other = view.at(k)
        if other is not None and other.has("action"):
            return other if any(other.has("action", c) for c in BAN_NOUNS) else None
    return None


# --- vetoes ----------------------------------------------------------------------------


def _active_vetoes(view: View, actor: Actor, span: Span, term: Term) -> str | None:
    grammar = view.grammar
    between = (actor.j + 1, span.i)
    if _negated(view, *between):
        return "negated ('did not', 'refused to', 'never')"
    if view.cue_between(*between, "hedge"):
        return "hedged: planned, possible or threatened, not done"
    infinitive = view.word(view.skip_adverbs_back(span.i - 1)) == "to"
    clause = _clause_start(view, actor.i)
    if infinitive and view.cue_between(clause, span.i, "pressure"):
        return "a call, demand or order to act, not an action"
    pressure = view.cue_between(max(clause, actor.i - 3), actor.i, "pressure")
    if pressure is not None and not _platform_tells(view, actor, pressure.i):
        return "a call, demand or order to act, not an action"
    if view.cue_between(max(clause, actor.i - 2), actor.i, "negation"):
        return "negated ('neither', 'not')"
    if clause > 0 and view.word(clause - 1) in ("whether", "if", "unless"):
        return "hedged: whether/if"
    reporting = (
        [k for k in range(*between) if view.low[k] in grammar.reporting]
        if not grammar.reporting.isdisjoint(view.low[between[0] : between[1]])
        else []
    )
    if reporting and actor.how != "pronoun" and not _speaker_acts(view, reporting[-1] + 1, span.i):
        return "reported speech about someone else's action"
    if term.form == "noun":
        gap = range(actor.j + 1, span.i)
        allowed = grammar.determiners | grammar.nominal_lead | grammar.skip_adverbs
        if len(gap) > NOMINAL_GAP or any(
            view.low[k] not in allowed
            and view.low[k] not in NOMINAL_GAP_WORDS
            and view.low[k] not in actors.POSSESSIVE_ACTIONS
            and not _target_at(view, k)  # "Facebook's QAnon purge"
            for k in gap
        ):
            return "a ban noun the platform is not the author of"
    return None


def _pluperfect(view: View, aux: int, span: Span) -> bool:
    """ "had previously cut off", "had been frozen", told in the story's own voice, is what
    happened before the news; after "said" it is only the tense of reported speech ("Meta
    said it had removed"), and a plain "had removed ... hours earlier" is the news itself."""
    if view.sentence.kind == TITLE:
        return False
    passive_had = view.word(aux) == "been" and view.word(view.skip_adverbs_back(aux - 1)) == "had"
    earlier = view.word(aux) == "had" and any(
        view.low[k] in _BEFORE_NOW for k in range(aux + 1, span.i)
    )
    if not (passive_had or earlier):
        return False
    return view.grammar.reporting.isdisjoint(view.low[: max(0, span.i)])


_BEFORE_NOW = frozenset({"previously", "once", "already", "formerly"})


# A headline's reaction verbs, for one subject and for several ("Cruz, DeSantis attack").
REACTIONS = frozenset(
    {"calls", "slams", "decries", "criticises", "criticizes", "blasts", "condemns",
     "attacks", "denounces", "challenges", "appeals", "sues", "fights", "protests", "mocks",
     "rejects", "responds", "reacts", "says", "hits", "accuses", "lashes", "questions",
     "slam", "decry", "criticise", "criticize", "blast", "condemn", "attack", "denounce",
     "challenge", "sue", "protest", "mock", "react", "say", "accuse", "question", "lash"}
)  # fmt: skip


def _reaction_headline(view: View, span: Span) -> bool:
    """ "Blackburn hits back after her campaign video is barred from Twitter ads": in a
    headline whose main verb is a reaction, the "after" clause is the news itself."""
    if view.sentence.kind != TITLE:
        return False
    return any(view.low[k] in REACTIONS for k in range(min(span.i, 4)))


def _reacting_subject(view: View, platform_at: int) -> list[tg.Target]:
    """ "Alex Jones calls PayPal ban an attempt to starve him", "Penrose slams Twitter
    suspension": whom a ban hit, reacting to it as the sentence's subject."""
    verb = next((k for k in range(1, platform_at) if view.low[k] in REACTIONS), -1)
    if verb < 0 or platform_at - verb > 4:
        return []
    listed = tg.watchlist_targets(view, 0, verb)
    if listed:
        return [tg.Target(listed[0].name, tg.NAMED, listed[0].i, listed[0].j)]
    names = tg.names_in_range(view, 0, verb)
    if names and names[0].i == 0 and names[0].j == verb - 1:
        return [tg.Target(names[0].name, tg.NAMED, names[0].i, names[0].j)]
    return []


def _named_verb(view: View, span: Span) -> bool:
    """ "a feature called Restrict", "rolls out 'Restrict'": a capitalised verb inside a
    sentence is a name."""
    if span.i == 0 or view.title_case:
        return False
    raw = view.tokens.raw[span.i]
    return raw[:1].isupper() and view.low[span.i] not in view.grammar.named_stopwords


def _owned_ban_noun(view: View, span: Span) -> tuple[Actor, tg.Target] | None:
    """ "his suspension from Twitter", "Trump's ban from YouTube": a ban noun owned by
    whom it hit, the platform after "from"."""
    if view.word(span.j + 1) not in ("from", "on", "by"):
        return None
    other = view.at(span.j + 2) or (view.at(span.j + 3) if view.word(span.j + 2) == "the" else None)
    if other is None or not other.has("platform"):
        return None
    owned = view.at(other.j + 2) if view.word(other.j + 1) == "'s" else None
    if owned is not None and owned.has("platform"):
        other = owned  # "his removal from Amazon's Twitch"
    actor = Actor(actors.name(other, "platform"), other.i, other.j, "passive")
    owner = view.word(span.i - 1)
    if owner == "'s":
        names = tg.names_in_range(view, max(0, span.i - 5), span.i - 1)
        if names and names[-1].j == span.i - 2:
            return actor, tg.Target(names[-1].name, tg.NAMED, names[-1].i, names[-1].j)
        return None
    if owner in ("his", "her", "their", "its"):
        found = tg.referent(view, span.i - 1) or tg.role_target(view, 0, span.i - 1)
        if found is not None:
            return actor, found
    return None


def _target_at(view: View, k: int) -> bool:
    span = view.at(k)
    return span is not None and span.has("target")


def _nothing_after(view: View, k: int) -> bool:
    """The verb has no object after it: the clause ends, or a preposition or boundary word
    follows ("the accounts Twitter took down.", "... took down on Monday")."""
    word = view.word(k)
    grammar = view.grammar
    return (
        word in ("", ".", ",", ";", ":", "!", "?")
        or word in grammar.prepositions
        or word in grammar.right_bounds
    )


def _object_before(view: View, actor_at: int) -> int | None:
    """Where the noun phrase ends right before the actor starts, when it is an account
    or network noun: "the accounts Twitter took down"."""
    other = view.at(actor_at - 1)
    if other is None or not other.has("object") or view.tokens.raw[actor_at - 1][:1].isupper():
        return None
    k = other.i
    while (
        k > 0
        and actor_at - k < 6
        and view.tokens.raw[k - 1][:1].islower()
        and view.low[k - 1] not in view.grammar.prepositions
    ):
        k -= 1
    return k


def _platform_tells(view: View, actor: Actor, cue_at: int) -> bool:
    """ "PayPal has told Infowars it will stop ...": the platform itself tells; no one
    calls on it."""
    if actor.how != "pronoun":
        return False
    return any(
        actors.name(s, "platform") == actor.platform
        for s in view.spans_between(0, cue_at, "platform")
    )


def _speaker_acts(view: View, start: int, end: int) -> bool:
    """After "said", the actor must come back as "it", "we", "the company" or by name."""
    for k in range(start, end):
        if view.low[k] in view.grammar.pronouns:
            return True
        other = view.at(k)
        if other is not None and (other.has("platform") or other.has("cue", "actor_pronoun")):
            return True
    return False


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
    return not _NEGATIONS.isdisjoint(view.low[start:end])  # start >= 0: token indexes


def _clause_start(view: View, k: int) -> int:
    grammar = view.grammar
    while k > 0:
        word = view.low[k - 1]
        if word in (";", ":") or word in grammar.subordinators:
            return k
        k -= 1
    return 0
