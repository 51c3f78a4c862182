"""What was acted on: the object window of a verb, its classes, its targets, the action.

The window runs from the verb to the end of its phrase (a boundary word such as "for",
"after", "saying", "which", or a new clause); for a passive verb it is the subject. The
object classes found there, with the verb class, decide the action (``ACTION_TABLE``):

* ban/block + place -> geo_block, + app or app store -> app_removal, + ads -> ad_ban,
  + fake accounts/influence operation (or a watchlist name that is one) ->
  network_takedown, + links -> restriction, else ban;
* remove/close + app -> app_removal, + network -> network_takedown, + monetisation ->
  demonetisation, else removal; suspend -> suspension (ad_ban with ads, demonetisation
  with monetisation); restrict -> restriction (geo_block with a place); label -> label;
  withhold/geo-block -> geo_block; demonetise or stop + monetisation -> demonetisation;
  reinstate, unban, "allowed back", or "lift/reverse" + a ban noun -> reinstatement.

A place makes a geo-block only where it limits the verb ("blocked RT across Europe",
"banned RT in the EU"), not where it says where unnamed accounts were ("banned 100,000
accounts in Brazil").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.classify import targets as tg

if TYPE_CHECKING:
    from monitor.classify.actors import Actor, Recent
    from monitor.classify.view import Span, View

WINDOW = 20
EXTENSION = 10
PLACE_REACH = 6
ACCOUNTISH = ("account", "network", "app", "app_store")
AD_LEADS = frozenset(
    {"buying", "running", "placing", "purchasing", "taking", "out", "any", "paid", "on", "its",
     "the", "making", "earning"}
)  # fmt: skip
EXTENDERS = frozenset({"such", "including", "like", "namely", "notably", "among"})
_CLAUSE_ENDS = frozenset({";", ":", "—", "–", "?", "!"})
_BOUND_MARKS = _CLAUSE_ENDS | {".", "and", ","}  # with grammar.right_bounds: right_bound's words
_DEFINITE_LEADS = frozenset({"the", "both", "these", "those", "their"})
_CARRIERS = frozenset({("object", "account"), ("object", "content"), ("object", "links")})

# verb class -> ordered (object flag, action); the first flag present wins, "" always does.
ACTION_TABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "reinstate": (("", "reinstatement"),),
    "lift": (("", "reinstatement"),),
    "allow": (("", "reinstatement"),),
    "withhold": (("", "geo_block"),),
    "demonetise": (("", "demonetisation"),),
    "stop": (
        ("monetisation", "demonetisation"),
        ("ads_off", "demonetisation"),
        ("ad", "ad_ban"),
        ("", "ban"),
    ),
    "label": (("", "label"),),
    "adban": (("", "ad_ban"),),
    "adstop": (("", "ad_ban"),),
    "lock": (("monetisation", "demonetisation"), ("", "suspension")),
    "disrupt": (("", "network_takedown"),),
    "vanish": (("app", "app_removal"), ("", "removal")),
    "darken": (("", "suspension"),),
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
    "close": (("app", "app_removal"), ("network", "network_takedown"), ("", "removal")),
    "block": (
        ("location", "geo_block"),
        ("app", "app_removal"),
        ("ad", "ad_ban"),
        ("ad_from", "ad_ban"),
        ("network", "network_takedown"),
        ("links", "restriction"),
        ("", "ban"),
    ),
    "ban": (
        ("location", "geo_block"),
        ("app", "app_removal"),
        ("ad", "ad_ban"),
        ("ad_from", "ad_ban"),
        ("network", "network_takedown"),
        ("monetisation", "demonetisation"),
        ("links", "restriction"),
        ("", "ban"),
    ),
}


def action_for(cls: str, flags: set[str]) -> str:
    """The action a verb class and its object's classes make. Every class has a table
    (the lexicon's schema refuses a verb class without one), and each ends in "" ."""
    for flag, action in ACTION_TABLE[cls]:
        if not flag or flag in flags:
            return action
    raise ValueError(f"verb class {cls!r}: its action table has no default row")


def right_bound(view: View, start: int) -> int:
    """Where the verb's phrase ends: a boundary word, punctuation that closes a clause,
    or a new clause with its own actor and verb."""
    grammar = view.grammar
    low, n = view.low, view.n
    stop = max(start, min(n, start + WINDOW))
    for k in range(start, stop):
        word = low[k]
        if word not in _BOUND_MARKS and word not in grammar.right_bounds:
            continue  # no test below can hold: most words go no further
        if word in _CLAUSE_ENDS or (word == "." and k == n - 1):
            return k
        if (
            k > start
            and word in grammar.right_bounds
            and not (word == "as" and view.word(k - 1) == "such")
            and not (word == "for" and _is_service(view, k - 1))
        ):
            return k
        if word in ("and", ",") and _new_clause(view, k + 1):
            return k
        if word == "and" and _verb_next(view, k + 1):
            return k  # "barred from posting on YouTube and loses ad revenue"
    return stop


def _verb_next(view: View, k: int) -> bool:
    """A second verb of the same subject: an enforcement verb or a loss ("and loses")."""
    span = view.at(k)
    return (
        span is not None
        and (span.has("cue", "loss") or (span.has("action") and view.word(k - 1) == "and"))
        and view.tokens.raw[k][:1].islower()
    )


def _is_service(view: View, k: int) -> bool:
    """In "terminated its service for 8chan" the owner follows "for"."""
    span = view.at(k)
    return span is not None and span.has("object", "service")


def _new_clause(view: View, k: int) -> bool:
    other = view.at(k)
    if other is None or not (other.has("platform") or other.has("cue", "authority")):
        return False
    for m in range(other.j + 1, other.j + 4):
        nxt = view.at(m)
        if nxt is not None and nxt.has("action"):
            return True
    return False


def extension(view: View, end: int) -> tuple[int, int]:
    """The relative clause or "such as"/"including" list right after a window ("tweets
    that link to Russian state media such as RT", "several figures it described as
    dangerous, including Louis Farrakhan"), where owners and network words may still be."""
    if end >= view.n:
        return end, end
    listed = not EXTENDERS.isdisjoint(view.low[end : end + EXTENSION])
    if not listed and view.low[end] not in ("that", "which", "who", ","):
        return end, end
    stop = end + 1
    while stop < view.n and stop - end < EXTENSION + 4 and view.low[stop] not in (";", ":", "."):
        stop += 1
    return end, stop


def object_flags(
    view: View, window: tuple[int, int], tail: tuple[int, int], verb: Span, named: bool
) -> set[str]:
    """Object classes in the window (and the passive tail), plus: ``location`` (a place
    limiting the verb), ``category`` (a product/sport/policy cue at the object's head),
    ``ad_from`` ("from buying ads"), ``ads_off`` ("ads from his videos")."""
    flags: set[str] = set()
    head = -1  # the object's first content word: only a category cue needs it
    # one pass over the spans for the three tests (an active verb's tail is its window)
    ranges = (window,) if tail == window else (window, tail)
    after, reach, verb_end = window[1], window[1] + PLACE_REACH, verb.j
    for other in view.spans:
        i, kinds = other.i, other.kinds
        if "object" in kinds or "cue" in kinds:  # not a platform, target or verb
            for start, end in ranges:
                if not (start <= i < end):
                    continue
                for term in other.hit.terms:
                    if term.kind == "object" and term.name == "app_store":
                        flags.add("app")
                    elif term.kind == "object" and term.name == "app":
                        if not _platform_wide(view, i):
                            flags.add("app")
                    elif term.kind == "object" and _platform_store(view, other):
                        flags.add("app")
                    elif term.kind == "object":
                        flags.add(term.name)
                    elif term.kind == "cue" and term.name == "location":
                        if _limits_verb(view, other, named):
                            flags.add("location")
                    elif term.kind == "cue" and term.name == "actor_pronoun":
                        if tg.the_app(view, other):
                            flags.add("app")  # "Apple pulled the app": the object, an app
                    elif term.kind == "cue" and term.name == "category":
                        if head < 0:
                            head = tg.first_content(view, *window)
                        if _at_head(view, head, i) and not _names_an_account(view, other):
                            flags.add("category")
                if ("object", "ad") in kinds and _ad_off_content(view, other, end):
                    flags.add("ads_off")
        if after <= i < reach and ("cue", "location") in kinds:
            # "... for users in Europe" just after the phrase
            prev = view.word(i - 1)
            if prev in ("across", "throughout") or view.word(i - 2) == "users":
                flags.add("location")
        if i > verb_end and (("object", "ad") in kinds or ("object", "monetisation") in kinds):
            # "... from advertising", "from buying ads", anywhere after
            k = i - 1
            while k > verb_end and view.low[k] in AD_LEADS:
                k -= 1
            if view.word(k) == "from":
                flags.add("ad_from" if other.has("object", "ad") else "monetisation")
    return flags


def _limits_verb(view: View, place: Span, named: bool) -> bool:
    prev = view.word(place.i - 1)
    if prev in ("across", "throughout") or (prev == "in" and view.word(place.i - 2) == "users"):
        return True
    return prev in ("in", "within") and named


def _at_head(view: View, head: int, k: int) -> bool:
    """A category cue counts at the object's head ("banned political ads", "employees from
    using"), not inside a later phrase ("banned The_Donald in a hate speech crackdown")."""
    if k < head or k - head > 4:
        return False
    return not any(
        view.low[m] in view.grammar.prepositions and view.low[m] not in ("of", "from")
        for m in range(head, k)
    )


def _names_an_account(view: View, cue: Span) -> bool:
    """ "banned a deepfakes forum", "a cannabis subreddit", "r/deepfakes": the category word
    says what an account is about or names it; the account is what the platform acted on."""
    if view.word(cue.i - 1) == "/":
        return True  # "r/deepfakes": the forum's own name
    account = view.at(cue.j + 1)
    return account is not None and account.has("object", "account")


def _platform_store(view: View, span: Span) -> bool:
    """An app store named by its owner: "Apple's store", "Google's store"."""
    if view.low[span.i] not in ("store", "stores") or view.word(span.i - 1) != "'s":
        return False
    owner = view.at(span.i - 2)
    return owner is not None and owner.has("platform")


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


def find_targets(
    view: View,
    window: tuple[int, int],
    extra: tuple[int, int],
    actor: Actor,
    verb: Span,
    passive: bool,
    recent: Recent,
    kin: frozenset[str] = frozenset(),
) -> list[tg.Target]:
    """Watchlist names, other platforms and pronouns in the window; else a proper name;
    else a definite description of earlier targets ("the two broadcasters"); else names
    in a relative clause or "such as" list right after; else the object phrase itself."""
    start, end = window
    found = tg.watchlist_targets(view, start, end)
    if found:
        found += [n for t in list(found) for n in tg.names_beside(view, t, start, end)]
    # the actor's own products (``kin`` holds the actor when the rules pass it)
    acting = kin if actor.platform in kin else kin | {actor.platform}
    found += tg.platform_targets(view, start, end, acting)
    pronoun = tg.pronoun_target(view, start, end, verb.i if not passive else start, actor.platform)
    if passive and not found and tg.subject_pronoun(view, start, end):
        pronoun = pronoun or _referent_before(view, start)
    if pronoun and all(t.name != pronoun.name for t in found):
        found.append(pronoun)
    if found:
        return found
    name = tg.proper_name(view, start, end)
    if name is not None:
        return [name, *tg.names_joined(view, name, end)]
    definite = _definite_reference(view, start, end, recent)
    if definite:
        return definite
    if extra[1] > extra[0] and _extends_object(view, start, end):
        listed = [tg.Target(t.name, tg.NAMED, t.i, t.j) for t in tg.watchlist_targets(view, *extra)]
        if not EXTENDERS.isdisjoint(view.low[extra[0] : extra[1]]):
            # "several figures it called dangerous, including Louis Farrakhan, Alex Jones"
            names = [n for n in tg.names_in_range(view, *extra) if n.name not in _covered(listed)]
            listed = sorted(
                [*listed, *(tg.Target(n.name, tg.NAMED, n.i, n.j) for n in names)],
                key=lambda t: t.i,
            )
        if listed:
            return listed
    generic = tg.generic_target(view, start, end, ACCOUNTISH)
    if (
        generic is not None
        and "its" in view.low[start : generic.j + 1]
        and "network" in generic.name
    ):
        return []  # "LinkedIn shuts down its China social network": its own product
    if generic is None:
        generic = tg.role_target(view, start, end)  # "Alt-right leader locked out of Twitter"
    return [generic] if generic is not None else []


def _covered(listed: list[tg.Target]) -> set[str]:
    return {t.name for t in listed}


def _extends_object(view: View, start: int, end: int) -> bool:
    """Only an object made of accounts, content or links carries on into its relative
    clause ("tweets that link to ... such as RT")."""
    for s in view.spans:
        if start <= s.i < end and not _CARRIERS.isdisjoint(s.kinds):
            return True
    return not EXTENDERS.isdisjoint(view.low[end : end + EXTENSION])


def _definite_reference(view: View, start: int, end: int, recent: Recent) -> list[tg.Target]:
    """ "the two state broadcasters", "the broadcasters' channels", "both outlets": the
    watchlist names the previous sentences gave."""
    if _DEFINITE_LEADS.isdisjoint(view.low[start:end]):
        return []  # most objects: no loop over their words
    for k in range(start, end):
        if view.low[k] not in _DEFINITE_LEADS:
            continue
        for m in range(k + 1, min(end, k + 5)):
            word = view.low[m]
            if word in view.grammar.definite_nouns:
                names = recent.targets_for(view.sentence.index)
                return [tg.Target(n, tg.PRONOUN) for n in names]
            if word in view.grammar.prepositions or (
                view.at(m) is not None and word not in ("state", "media")
            ):
                break
    return []


def _referent_before(view: View, start: int) -> tg.Target | None:
    for span in reversed(view.spans_between(0, start, "target")):
        term = span.of("target")
        assert term is not None
        return tg.Target(term.name, tg.PRONOUN, span.i, span.j)
    return None
