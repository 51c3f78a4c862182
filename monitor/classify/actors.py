"""Who acts: find the platform that is the actor of an enforcement verb, or say why none.

Active voice: walk back from the verb, within its clause, to the nearest actor-like
phrase. A platform there is the actor unless it follows a preposition ("on Twitter"),
follows a verb as its object ("Russia blocks Facebook and restricts Twitter"), or modifies
a noun ("a Twitter employee", "Twitter's rules"); "Bing search engine" and "Twitter's
decision" still act. A pronoun ("it", "the company") takes the nearest platform before it,
else one named right after a quote, else the platform the previous sentences were about.
An authority ("Russia", "a court", "lawmakers") or a watchlist name there means the
platform is not the actor.

Passive voice ("was banned by YouTube", "removed from TikTok", "RT's YouTube channel was
removed"): the platform after by/from/off/on, or the platform modifying the subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.classify.text import TITLE

if TYPE_CHECKING:
    from monitor.classify.view import Span, View

MAX_GAP = 14
PASSIVE_REACH = 5
POSSESSIVE_ACTIONS = frozenset(
    {"decision", "move", "choice", "action", "actions", "crackdown", "latest", "efforts",
     "effort", "purge", "own", "new", "sweeping", "recent", "surprise"}
)  # fmt: skip
_CLAUSE_MARKS = frozenset({";", ":", "—", "–"})
AUX = frozenset({"has", "have", "had", "will", "would", "also", "then", "now", "quickly"})


@dataclass(slots=True)
class Actor:
    """The platform that acts, the tokens naming it, and how it was found."""

    platform: str
    i: int
    j: int
    how: str  # active | possessive | pronoun | pronoun_context | passive


@dataclass(slots=True)
class Recent:
    """What earlier sentences said: the platform they were about, the targets they named."""

    platform: str | None = None
    platform_sentence: int = -1
    title_platform: str | None = None
    targets: tuple[str, ...] = ()
    targets_sentence: int = -1
    title_targets: tuple[str, ...] = ()
    title_self: bool = False  # the headline says it was done at the owner's request

    def platform_for(self, index: int) -> str | None:
        if self.platform and index - self.platform_sentence <= 2:
            return self.platform
        return self.title_platform

    def targets_for(self, index: int) -> tuple[str, ...]:
        if self.targets and index - self.targets_sentence <= 2:
            return self.targets
        return self.title_targets


def name(span: Span, kind: str) -> str:
    term = span.of(kind)
    assert term is not None
    return term.name


def active_actor(view: View, verb: Span, recent: Recent) -> Actor | str:
    grammar = view.grammar
    cover = view.cover  # 0 <= k < verb.i below: the tokens' spans, no bounds to check
    k = verb.i - 1
    skipped = 0  # tokens of clauses skipped over: they do not count towards the gap
    while k >= 0 and verb.i - k - skipped <= MAX_GAP:
        word = view.low[k]
        if word in _CLAUSE_MARKS or (word in grammar.subordinators and k < verb.i - 1):
            break
        if word == ",":
            opener = fronted_clause(view, k)
            if opener is None:
                opener = _inserted_clause(view, k)
            if opener is not None:
                skipped += k - opener
                k = opener - 1
                continue
        other = cover[k]
        if other is not None and other is not verb:
            kinds = other.kinds
            if "platform" in kinds:
                role = platform_role(view, other, verb.i)
                if role == "actor":
                    how = "possessive" if view.word(other.j + 1) == "'s" else "active"
                    return Actor(name(other, "platform"), other.i, other.j, how)
                k = other.i - 1
                continue
            if (
                ("cue", "authority") in kinds or ("cue", "other_actor") in kinds
            ) and not view.after_preposition(other.i):
                return "an authority or other party acts, not the platform"
            if (
                "target" in kinds
                and not view.after_preposition(other.i)
                and view.word(other.j + 1) != "'s"
                and not (other.j == verb.i - 1 and _noun(verb))  # "Facebook's QAnon purge"
            ):
                return "the named party is the subject, not the platform"
            if ("cue", "actor_pronoun") in kinds and _subject_at(view, other.i, other.j, verb):
                return pronoun_actor(view, other.i, other.j, verb, recent)
            if (
                "object" in kinds
                and view.low[other.j] in ("users", "people", "creators", "members")
                and _only_aux(view, other.j + 1, verb.i)
                and not view.after_preposition(other.i)
            ):
                return "users act, not the platform"  # "lets users quietly limit what ..."
            k = other.i - 1
            continue
        if word in grammar.pronouns and word != "they" and _subject_at(view, k, k, verb):
            return pronoun_actor(view, k, k, verb, recent)
        k -= 1
    return "no platform acts in the verb's clause"


def _subject_at(view: View, i: int, j: int, verb: Span) -> bool:
    """Whether "the company" or "it" at ``i..j`` can be the verb's subject: not after a
    preposition ("with the company"), unless that word opens a clause whose verb follows
    ("after the company dismantled a network", "since it removed")."""
    if not view.after_preposition(i):
        return True
    if view.word(i - 2) in _TIME_UNITS:
        return False  # "two days after the platform deleted a post": what came before
    return view.word(i - 1) in view.grammar.subordinators and _only_aux(view, j + 1, verb.i)


_TIME_UNITS = frozenset(
    {"hours", "days", "weeks", "months", "years", "hour", "day", "week", "month", "year",
     "decade", "decades", "shortly", "soon", "long", "just", "even", "ever"}
)  # fmt: skip


def _noun(verb: Span) -> bool:
    return any(t.kind == "action" and t.form == "noun" for t in verb.hit.terms)


def platform_role(view: View, span: Span, verb_at: int) -> str:
    """actor, object (right after another verb), context (after a preposition, or the
    possessive of something else) or modifier ("Twitter account")."""
    grammar = view.grammar
    prev = view.word(span.i - 1)
    opens = prev in grammar.subordinators or prev == "as"  # "as Apple drops the app"
    if opens and verb_at > span.j and _only_aux(view, span.j + 1, verb_at):
        return "actor"  # "after Twitter barred RT": "after" opens a clause here
    if view.after_preposition(span.i):
        return "context"
    if (
        view.word(span.i - 2) == "to"
        and view.tokens.raw[span.i - 1].isalpha()
        and view.tokens.raw[span.i - 1].islower()
        and view.at(span.i - 1) is None  # a verb, not a noun ("ties to accounts Twitter ...")
    ):
        return "object"  # "wants YouTube to copy Facebook and remove him"
    nxt = view.word(span.j + 1)
    before = view.at(span.i - 1)
    if before is not None and before.has("action") and not _owns_verb(view, span, verb_at):
        return "object"
    if nxt == "'s":
        after = view.word(span.j + 2)
        if span.j + 2 == verb_at or after in POSSESSIVE_ACTIONS:
            return "actor"
        if _owns_verb(view, span, verb_at):
            return "actor"  # "Facebook's QAnon purge"
        if after in grammar.self_nouns or view.word(span.j + 3) in grammar.self_nouns:
            return "actor"  # "Amazon's cloud division said it had ..."
        return "context"
    if nxt in grammar.self_nouns or (
        nxt in grammar.modifier_nouns and view.word(span.j + 2) in grammar.self_nouns
    ):
        return "actor"  # "the Bing search engine will demote", "the TikTok app removed"
    if nxt in grammar.actor_nouns and _names_only(view, span.j + 2, verb_at):
        return "actor"  # "Cloudflare CEO pulls protection", "Twitter CEO Jack Dorsey banned"
    if nxt in grammar.modifier_nouns or nxt == "-":
        return "modifier"
    return "actor"


def _owns_verb(view: View, span: Span, verb_at: int) -> bool:
    """ "welcomed Facebook's QAnon purge": the possessive is the ban noun's author, even
    right after another verb."""
    if view.word(span.j + 1) != "'s" or verb_at <= span.j + 1:
        return False
    between = range(span.j + 2, verb_at)
    return all((o := view.at(k)) is not None and o.has("target") for k in between)


def _names_only(view: View, start: int, end: int) -> bool:
    """Nothing but a person's name between ``start`` and ``end`` (the verb)."""
    if end < start or end - start > 3:
        return False
    return all(view.tokens.raw[k][:1].isupper() for k in range(start, end))


# "after Cloudflare decided to drop the site": verbs that hand the action on to the next
CATENATIVES = frozenset({"decided", "moved", "chose", "opted", "went", "began", "started",
                         "to", "has", "had", "would"})  # fmt: skip


def _only_aux(view: View, start: int, end: int) -> bool:
    grammar = view.grammar
    return all(
        view.low[k] in AUX or view.low[k] in grammar.skip_adverbs or view.low[k] in CATENATIVES
        for k in range(start, end)
    )


def fronted_clause(view: View, comma: int) -> int | None:
    """Where a fronted subordinate clause ending at ``comma`` starts ("Twitter, after a
    review, banned RT"), so the walk back can skip it."""
    k = comma - 1
    while k >= 0 and view.low[k] not in (",", ";"):
        k -= 1
    first = k + 1
    if first < comma and view.low[first] in view.grammar.subordinators:
        return first
    return None


_INSERTS = frozenset({"which", "who", "whose", "the", "a", "an", "one", "its", "long"})


def _inserted_clause(view: View, comma: int) -> int | None:
    """Where a clause set off by commas before the verb starts, so the walk back reaches
    its subject: "Cloudflare, which for years protected the site, has now cut it off";
    "YouTube, the world's biggest video site, banned ..."."""
    k = comma - 1
    while k >= 0 and view.low[k] not in (",", ";", ":"):
        k -= 1
    if k <= 0 or view.low[k] != "," or comma - k > MAX_GAP:
        return None
    if view.word(k + 1) not in _INSERTS:
        return None
    return k


def governing_subordinator(view: View, k: int) -> str | None:
    """The subordinator whose clause holds token ``k`` ("a year after he was banned"),
    if any: walk back to the clause start, skipping fronted clauses."""
    grammar = view.grammar
    while k > 0:
        word = view.low[k - 1]
        if word in (";", ":"):
            return None
        if word == ",":
            return None
        if word in grammar.subordinators:
            return word
        k -= 1
    return None


def pronoun_actor(view: View, i: int, j: int, verb: Span, recent: Recent) -> Actor | str:
    """Resolve "it" / "the company": the platform named before it in the sentence, one
    named right after a quote ("'We removed them,' TikTok said"), else the platform the
    previous sentences were about."""
    grammar = view.grammar
    for other in reversed([s for s in view.spans if s.j < i]):
        if other.has("platform") and not view.after_preposition(other.i):
            nxt = view.word(other.j + 1)
            if nxt in grammar.modifier_nouns and nxt not in grammar.actor_nouns:
                continue
            return Actor(name(other, "platform"), i, j, "pronoun")
    for other in view.spans:
        if (
            other.i > verb.j
            and other.has("platform")
            and view.word(other.j + 1) in grammar.reporting
        ):
            return Actor(name(other, "platform"), i, j, "pronoun")
    platform = recent.platform_for(view.sentence.index)
    if platform:
        return Actor(platform, i, j, "pronoun_context")
    return "a pronoun acts, and no platform is named before it"


def _place_adjective(view: View, k: int) -> bool:
    """A capitalised adjective of where ("Chinese", "Russian") before a store's name."""
    raw = view.tokens.raw[k] if k < view.n else ""
    return raw[:1].isupper() and raw.endswith(("ese", "an", "ish", "i")) and raw.isalpha()


def passive_actor(view: View, verb: Span, recent: Recent | None = None) -> Actor | str:
    """The actor of a passive verb: "was banned by YouTube", "removed from TikTok",
    "barred from buying Twitter adverts", "RT's YouTube channel was removed"; "banned
    from the platform" (the platform the sentence or the ones before are about); "Twitter
    confirmed that X has been banned" (the platform that reports it)."""
    grammar = view.grammar
    if view.low[verb.j] in (*grammar.passive_by, "of", "out", "in"):
        # the preposition ends the verb itself: "kicked off Discord", "locked out of Twitter"
        m = verb.j + 2 if view.word(verb.j + 1) == "the" else verb.j + 1
        if view.at(m) is None and _place_adjective(view, m):
            m += 1  # "disappeared from the Chinese App Store"
        other = view.at(m)
        if (
            other is not None
            and other.has("platform")
            and not _qualifies(view, other.j + 1)  # "kicked off its Discord tour"
        ):
            return Actor(name(other, "platform"), other.i, other.j, "passive")
    k = verb.j + 1
    while k < view.n and k <= verb.j + PASSIVE_REACH:
        word = view.low[k]
        if word in grammar.passive_by:
            for m in range(k + 1, min(view.n, k + 4)):
                other = view.at(m)
                if other is not None and other.has("platform"):
                    return Actor(name(other, "platform"), other.i, other.j, "passive")
                if view.low[m] in (",", ";") or view.low[m] in grammar.right_bounds:
                    break
            if word != "on" and view.word(k + 1) == "the" and view.word(k + 2) in _ANAPHORS:
                platform = _platform_before(view, verb.i, recent)
                if platform is not None:
                    return Actor(platform, k + 1, k + 2, "passive")
        if word in (",", ";") or (word in grammar.right_bounds and word != "for"):
            break
        k += 1
    start = subject_start(view, verb.i)
    for other in view.spans_between(start, verb.i, "platform"):
        if view.word(other.j + 1) in grammar.modifier_nouns and not view.after_preposition(other.i):
            return Actor(name(other, "platform"), other.i, other.j, "passive")
        if view.word(other.i - 1) in grammar.owned_nouns:
            return Actor(name(other, "platform"), other.i, other.j, "passive")  # "la page YouTube"
        if view.word(other.i - 1) in _ON and _accounts_before(view, start, other.i):
            # "150 accounts and groups on Facebook were removed": where they were, who acted
            return Actor(name(other, "platform"), other.i, other.j, "passive")
    reporter = _reporting_platform(view, start)
    if reporter is not None:
        return reporter
    if "by" in view.low[verb.j + 1 : min(view.n, verb.j + PASSIVE_REACH)]:
        return "passive: the agent after 'by' is not a platform"
    if view.sentence.kind == TITLE:
        # "Logan Paul demonetised as YouTube loses patience": the headline's other clause
        for other in view.spans_between(verb.j + 1, view.n, "platform"):
            if view.word(other.i - 1) in ("as", "after", "while", "when"):
                return Actor(name(other, "platform"), other.i, other.j, "passive_sentence")
    head_end = next(
        (k for k in range(start, verb.i) if view.low[k] in (",", "that", "which")), verb.i
    )
    if _accounts_before(view, start, head_end):
        # "Hundreds of accounts ... were removed after Twitter concluded ...", "The
        # presenter's account was terminated" in a story about YouTube: accounts are
        # removed by the platform that hosts them, the one the sentence or story names
        here = [
            s
            for s in view.spans
            if s.has("platform")
            and view.word(s.j + 1) not in grammar.modifier_nouns
            and view.word(s.j + 1) != "'s"
        ]
        if here:
            return Actor(name(here[0], "platform"), -1, -1, "passive_sentence")
        platform = recent.platform_for(view.sentence.index) if recent is not None else None
        if platform is not None:
            return Actor(platform, -1, -1, "passive_context")
    return "passive: no platform after by/from/off/on"


_ON = frozenset({"on", "auf", "su", "sur", "en"})


def _accounts_before(view: View, start: int, end: int) -> bool:
    return any(
        s.has("object", "account") or s.has("object", "network")
        for s in view.spans_between(start, end, "object")
    )


def _qualifies(view: View, k: int) -> bool:
    """Whether token ``k``, right after a platform, makes the platform a modifier of a
    noun ("Discord tour", "YouTube channel"): a lower-case word that opens no phrase."""
    word = view.word(k)
    if not word.isalpha() or not view.tokens.raw[k][:1].islower():
        return False
    grammar = view.grammar
    return not (
        word in grammar.prepositions
        or word in grammar.right_bounds
        or word in grammar.subordinators
        or word in ("and", "or", "on", "in", "last", "this", "after", "along", "together")
    )


# "banned from the platform": the platform named before, in the sentence or just before it
_ANAPHORS = frozenset({"platform", "site", "service", "app", "network", "website"})


def _platform_before(view: View, before: int, recent: Recent | None) -> str | None:
    for other in reversed(view.spans_between(0, before, "platform")):
        return name(other, "platform")
    return recent.platform_for(view.sentence.index) if recent is not None else None


def _reporting_platform(view: View, start: int) -> Actor | None:
    """ "Twitter has confirmed that Tommy Robinson has been banned": a passive with no
    agent, in what a platform reports of itself, is the platform's own act."""
    k = start - 1
    if view.word(k) == "that":
        k -= 1
    if view.word(k) not in view.grammar.reporting:
        return None
    k = view.skip_adverbs_back(k - 1)
    while k >= 0 and view.low[k] in AUX:
        k -= 1
    other = view.at(k)
    if other is None or not other.has("platform") or view.after_preposition(other.i):
        return None
    if view.word(other.j + 1) == "'s":
        return None
    return Actor(name(other, "platform"), other.i, other.j, "passive_reported")


RELATIVES = ("that", "which", "who")


def relative_after_object(view: View, k: int) -> bool:
    """Whether "that"/"which" at ``k`` opens a relative clause on an account-like noun
    ("the account that tracked ...", "a network operated from Israel that posed as ...")
    rather than a reported clause."""
    for m in range(k - 1, max(-1, k - 5), -1):
        if view.low[m] in view.grammar.reporting or view.low[m] in (",", ";", ":"):
            return False
        other = view.at(m)
        if other is not None and other.has("object"):
            return True
    return False


def subject_start(view: View, verb_at: int) -> int:
    """Where the subject of a passive verb starts: after a clause opener or a reporting
    verb ("Sputnik said [it had been banned]")."""
    grammar = view.grammar
    k = verb_at - 1
    while k >= 0:
        word = view.low[k]
        if word in grammar.subordinators or word in ("that", "which", "who"):
            if view.word(k - 1) == "," and "," in view.low[k + 1 : verb_at]:
                k -= 2  # "The server, where the traders met, was banned": skip the clause
                continue
            if word in RELATIVES and relative_after_object(view, k):
                k -= 1  # "A Twitter account that tracked a jet has been suspended"
                continue
            if (
                word == "who"
                and k > 0
                and view.low[k - 1] != ","
                and not all(
                    w in AUX or w in grammar.passive_aux or w.endswith("ly")
                    for w in view.low[k + 1 : verb_at]
                )
            ):
                # "The activist who dined with X and Y was removed": the activist (not
                # "Trump, who was thrown off Twitter and suspended by Facebook": his past)
                k -= 1
                continue
            return k + 1
        if word in (";", ":"):
            return k + 1
        if word in grammar.reporting:
            return k + 1
        k -= 1
    return 0
