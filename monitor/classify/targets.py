"""Whom an action hit and how many: targets and scale inside a sentence's object window.

In order of preference a target is a watchlist name ("Russia Today" -> RT), another
platform or a proper name in object position ("Apple removed Telegram", "YouTube banned
Alex Jones"), a pronoun whose referent is a watchlist name earlier in the sentence ("RT
said TikTok had deleted its accounts"), or, failing all of them, the object phrase itself
("470 inauthentic accounts"), which the classifier later tries to tie to a watchlist name
in the sentences around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.classify.text import TITLE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from monitor.classify.view import Span, View

WATCHLIST, NAMED, PRONOUN, GENERIC, CONTEXT = "watchlist", "named", "pronoun", "generic", "context"
ORIGIN, OWNER = "origin", "owner"
LINK_REACH = 8
_NUMBER = re.compile(r"^\d[\d,.]*$")
_MULTIPLIERS = frozenset({"million", "thousand", "billion", "m", "k", "mn", "bn"})
_QUANTIFIERS = frozenset(
    {"more", "than", "nearly", "about", "over", "some", "all", "around", "roughly", "at",
     "least", "almost", "up", "to", "another", "other", "further", "additional", "its",
     "their", "the", "a", "an", "of", "approximately", "dozens", "hundreds",
     "thousands", "millions", "billions", "several", "many", "numerous", "two", "three", "four", "five",
     "etwa", "rund", "über", "mehr", "als", "fast", "knapp", "mehrere", "einige", "circa",
     "oltre", "più", "di", "más", "unas", "unos", "plus", "environ", "près", "quelque", "casi",
     "mil", "cerca", "de"}
)  # fmt: skip
# Numbers written as words, in the languages whose nouns are capitalised or that we read.
_NUMBER_WORDS = frozenset(
    {"zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
     "zwölf", "zwanzig", "dreißig", "vierzig", "fünfzig", "hundert", "tausend", "hunderte",
     "tausende", "einige", "mehrere", "viele", "wenige"}
)  # fmt: skip
_COLLECTIVES = frozenset({"dozens", "hundreds", "thousands", "millions", "billions", "tens"})
_NAME_JOINERS = frozenset({"of", "de", "al", "al-", "bin", "&", "-", "van", "von", "la", "le"})
_POSSESSIVES = frozenset({"its", "his", "her", "their", "our", "my", "your"})
_AUXILIARIES = frozenset(
    {"has", "have", "had", "will", "would", "could", "can", "may", "might", "must", "should"}
)
# "of" and its forms in the other languages of the news we read ("la pagina di CasaPound",
# "la chaîne de Dieudonné", "die Konten der Querdenker", "os canais do Terça Livre").
_NAME_LEADS = frozenset(
    {"of", "from", "by", "to", "with", "against", "on", "di", "de", "del", "della", "des", "du",
     "der", "von", "do", "da", "dos", "das", "dei", "degli", "delle", "dello"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Target:
    """A target found in a sentence: display name, how it was found, its tokens."""

    name: str
    how: str  # watchlist | named | pronoun | generic | context
    i: int = -1
    j: int = -1


# Who someone is to a name: "Trump confidant kicked off Facebook" bans the confidant.
_RELATIONS = frozenset(
    {"ally", "allies", "aide", "aides", "confidant", "confidante", "associate", "associates",
     "adviser", "advisers", "advisor", "advisors", "lawyer", "lawyers", "son", "daughter",
     "wife", "husband", "brother", "sister", "supporter", "supporters", "loyalist",
     "loyalists", "backer", "backers", "staffer", "staffers", "spokesman", "spokeswoman",
     "critic", "critics", "rival", "rivals", "fan", "fans", "official", "officials"}
)  # fmt: skip


def watchlist_targets(view: View, start: int, end: int) -> list[Target]:
    found: dict[str, Target] = {}
    for span in view.spans_between(start, end, "target"):
        if view.word(span.j + 1) in _RELATIONS:
            continue  # "a Trump ally": the ally, whom the name only places
        term = span.of("target")
        assert term is not None
        found.setdefault(term.name, Target(term.name, WATCHLIST, span.i, span.j))
    return list(found.values())


def platform_targets(view: View, start: int, end: int, actors: frozenset[str]) -> list[Target]:
    """Platforms in object position ("Apple removed Telegram from the App Store"), not the
    actor or its joint products."""
    found = []
    for span in view.spans_between(start, end, "platform"):
        term = span.of("platform")
        assert term is not None
        if term.name in actors or span.has("object", "app") or view.after_preposition(span.i):
            continue
        if view.word(span.j + 1) in view.grammar.modifier_nouns:
            continue
        if view.word(span.i - 1) in _POSSESSIVES or _modifies_next_word(view, span.j, end):
            continue  # "its Reddit base", "a Twitch streamer": the platform qualifies a noun
        found.append(Target(term.name, NAMED, span.i, span.j))
    return found


def proper_name(view: View, start: int, end: int) -> Target | None:
    """A capitalised name that is the object, or names its owner: "banned Alex Jones",
    "the channel of Press TV", "the page of the Daily Mail", "the streamer Dr Lupo", "the
    forum r/WallStreetBets", "the former Ku Klux Klan leader David Duke" (a name right
    before a lower-case noun only modifies it), "Myanmar's military, the Tatmadaw", a
    handle "@elonjet" (its owner when the text says whose it is). The whole name: "Prairie
    Daily Herald", "R. Kelly", "HKmap.live", without a title in front ("President").
    Never in a title-case headline, where every word is capitalised."""
    head = first_content(view, start, end)
    handle = _handle(view, head, end)
    if handle is None:  # "Jack Sweeney's @ElonJet": the handle, not its owner's name
        ahead = view.low[head : end - 1]
        at = head + ahead.index("@") if "@" in ahead else -1
        if at > 0 and view.low[at - 1] == "'s":
            handle = _handle(view, at, end)
    if handle is not None:
        return handle
    for k in range(head, min(end, head + 4)):
        if view.low[k] == "/" and view.word(k - 1) in ("r", "u") and k + 1 < end:
            return Target(view.text(k - 1, k + 1), NAMED, k - 1, k + 1)  # "le forum r/incels"
    if view.title_case:
        return None
    stop = view.grammar.named_stopwords
    for k in range(min(head, end), end):  # a quantifier ("Etwa 150 Konten") is no name
        if not _name_start(view, k, end, stop) or not _free_or_place(view, k, end):
            continue
        if _NUMBER.match(view.low[k - 1]) or view.low[k - 1] in _NUMBER_WORDS:
            continue  # "für 48 Stunden", "zwölf Stunden": a German noun after a number
        if not (
            k == head
            or view.word(k - 1) in _NAME_LEADS
            or _lead_before_titles(view, k)
            or (view.word(k - 1) == "the" and view.word(k - 2) in _NAME_LEADS)
            or _after_role(view, k)
            or _after_object(view, k, head)
            or _in_head_phrase(view, k, head)
            or _apposition(view, k, head)
        ):
            continue
        j = _name_end(view, k, end)
        if view.word(k - 1) not in _NAME_LEADS and _modifies_next_word(view, j, end):
            continue  # "the Ku Klux Klan leader ...": look on (not "la chaîne de Dieudonné pour")
        if view.word(j + 1) == "'s" and _names_after_role(view, j + 2, end):
            continue  # "of Tarkia's former premier, Imre Valdosz": the premier is named on
        if k == 0 and j == 0 and _plain_word(view.tokens.raw[0]) and _object_next(view, 1):
            continue  # "Campaign group cut off": a sentence's first word, not a name
        if j == k and view.low[k] in view.grammar.name_titles:
            continue  # "Comedian's YouTube income": a title alone names no one
        nickname = _nickname(view, j, end)
        if nickname is not None:
            return nickname
        k = _after_titles(view, k, j)
        if j - k < 6:
            if view.word(k - 1) == "/" and view.word(k - 2) in ("r", "u"):
                k -= 2  # "r/The_Donald": the subreddit as written
            return Target(view.text(k, j), NAMED, k, j)
    return None


# Nouns of what a name can be itself ("the Vox party"), unlike roles ("the Klan leader").
_ORGANISATIONS = frozenset(
    {"party", "movement", "group", "magazine", "newspaper", "foundation", "organisation",
     "organization", "collective", "militia", "gang", "brigade", "club", "coalition"}
)  # fmt: skip
_QUOTES = frozenset({"'", '"', "“", "”", "‘", "’"})


def _nickname(view: View, j: int, end: int) -> Target | None:
    """ "Guy 'Dr Disrespect' Beahm": the name in quotes between a first and a last name
    is the one the person goes by, and the one other outlets use."""
    if view.word(j + 1) not in _QUOTES or j + 2 >= end:
        return None
    raw = view.tokens.raw
    if not raw[j + 2][:1].isupper():
        return None
    close = next((m for m in range(j + 2, min(end, j + 7)) if view.low[m] in _QUOTES), -1)
    if close < 0 or close + 1 >= len(raw) or not raw[close + 1][:1].isupper():
        return None
    return Target(view.text(j + 2, close - 1), NAMED, j + 2, close - 1)


_AND = frozenset({"and", "e", "y", "et", "und", "&", ","})


def names_joined(view: View, first: Target, end: int) -> list[Target]:
    """The names joined to ``first`` by "and" (in the languages we read) or a comma:
    "banned Louis Farrakhan and Alex Jones", "le pagine di CasaPound e Forza Nuova"."""
    out: list[Target] = []
    stop = view.grammar.named_stopwords
    j = first.j
    while j + 2 < end and view.low[j + 1] in _AND:
        k = j + 2
        if view.low[j + 1] == "," and view.word(k) == "and":
            k += 1
        if k >= end or not _name_start(view, k, end, stop) or not _free_or_place(view, k, end):
            break
        j = _name_end(view, k, end)
        out.append(Target(view.text(k, j), NAMED, k, j))
    return out


def names_beside(view: View, listed: Target, start: int, end: int) -> list[Target]:
    """Names joined by "and" to a watchlist name, before or after it: "banned Louis
    Farrakhan and Alex Jones"."""
    out = names_joined(view, listed, end)
    if listed.i - 2 >= start and view.low[listed.i - 1] in _AND:
        before = names_in_range(view, start, listed.i - 1)
        if before and before[-1].j == listed.i - 2:
            out.insert(0, Target(before[-1].name, NAMED, before[-1].i, before[-1].j))
    return out


def _lead_before_titles(view: View, k: int) -> bool:
    """ "videos by the presenter Dale Penrose": "by", then a title, then the name."""
    m = k - 1
    titles = view.grammar.name_titles
    if view.word(m) in titles and view.word(m - 1) == "'s" and view.tokens.raw[m - 2][:1].isupper():
        return True  # "the account of Spain's far-right Vox party": Spain's, then the name
    while (
        m >= 0
        and k - m <= 5
        and (
            view.low[m] in titles or view.low[m] in ("the", "and") or _hyphenated_adjective(view, m)
        )
    ):
        m -= 1
    return m < k - 1 and view.word(m) in _NAME_LEADS


def _hyphenated_adjective(view: View, m: int) -> bool:
    """ "far-right", "pro-Kremlin": a lower-case hyphenated word before a title ("the page
    of far-right campaigner Tommy Robinson")."""
    raw = view.tokens.raw[m]
    return "-" in raw[1:-1] and raw[:1].islower()


def _name_goes_on(view: View, k: int) -> bool:
    """ "New York Post", "New Zealand": a capitalised word that a determiner list holds
    starts a name when another capitalised word follows it mid-sentence."""
    raw = view.tokens.raw
    return k > 0 and raw[k][:1].isupper() and k + 1 < view.n and raw[k + 1][:1].isupper()


def _named_first(view: View) -> bool:
    """A sentence's first word is a name when a verb, a title or a possessive follows it
    ("Icke gone from YouTube", "Parler chief says", "Brand's channel")."""
    nxt = view.at(1)
    word = view.word(1)
    if view.low[0] in view.grammar.name_titles:
        return False  # "Conspiracy theorist loses ...": a title, not a name
    raw = view.tokens.raw[1] if view.n > 1 else ""
    if nxt is None and raw.isalpha() and raw.islower() and raw.endswith("s") and len(raw) > 3:
        return True  # "Spencer decries ...", "Icke says ...": a subject and its verb
    if raw in _QUOTES and view.sentence.kind == TITLE:
        return True  # "Gabunada 'surprised' as ...": a headline's quoted reaction
    return (
        (nxt is not None and nxt.has("action"))
        or word in view.grammar.name_titles
        or word in ("'s", "says", "said", "calls", "denies", "loses", "lost")
    )


def _plain_word(raw: str) -> bool:
    return raw.isalpha() and raw[1:].islower()


def _object_next(view: View, k: int) -> bool:
    span = view.at(k)
    return span is not None and span.has("object") and view.tokens.raw[k][:1].islower()


def _names_after_role(view: View, k: int, end: int) -> bool:
    """Lower-case role words, a comma, then a capitalised name: "former premier, Imre"."""
    m = k
    while m < end and m - k < 4 and view.tokens.raw[m][:1].islower():
        m += 1
    return (
        m > k and view.word(m) == "," and view.tokens.raw[m + 1][:1].isupper()
        if m + 1 < end
        else False
    )


def _free_or_place(view: View, k: int, end: int) -> bool:
    """A word no lexicon phrase covers, or a place that begins a longer name ("Britain
    First")."""
    span = view.at(k)
    if span is None:
        return True
    return (
        span.has("cue", "location")
        and span.j + 1 < end
        and _continues_name(view, span.j + 1, view.grammar.name_breaks)
        and not _names_something(view, span.j + 1)
    )


def _after_role(view: View, k: int) -> bool:
    """ "the pro-Trump outlet the Epoch Times", "the broadcaster RT": a name set after the
    noun that says what it is."""
    m = k - 1 if view.word(k - 1) == "the" else k
    return view.word(m - 1) in view.grammar.definite_nouns


def _handle(view: View, head: int, end: int) -> Target | None:
    """ "@elonjet": the handle, or its owner when an apposition says whose it is
    ("@realDonaldTrump, the account of President Donald Trump")."""
    if view.word(head) != "@" or head + 1 >= end:
        return None
    j = head + 1
    if view.word(j + 1) == ",":
        for m in range(j + 2, min(end, j + 8)):
            if view.low[m] in ("of", "to") and view.word(m - 1) in ("account", "belonging"):
                owner = proper_name(view, m + 1, end)
                if owner is not None and view.word(owner.i) != "@":
                    return owner
                break
    return Target(view.text(head, j), NAMED, head, j)


def _name_start(view: View, k: int, end: int, stop: frozenset[str]) -> bool:
    """A capitalised word that can begin a name; a stopword ("Daily", "One") only when a
    capitalised word follows it ("the Daily Mail", "One America News")."""
    raw = view.tokens.raw[k]
    if not (raw[:1].isupper() or raw[:1].isdigit()):
        return False  # most words: neither test below can hold
    if _name_word(view, k, stop):
        return True
    breaks = view.grammar.name_breaks
    return (
        raw[:1].isupper()
        and view.low[k] not in breaks
        and k + 1 < end
        and _continues_name(view, k + 1, breaks)
        and not _names_something(view, k + 1)
    )


def _name_end(view: View, k: int, end: int) -> int:
    """The last token of the name starting at ``k``: capitalised words that do not break a
    name ("Kestrel Media", "Nova Frontier News"), joiners ("Ku Klux Klan", "bin Salman")
    and initials ("R. Kelly")."""
    raw = view.tokens.raw
    breaks = view.grammar.name_breaks
    j = k
    while j + 1 < end:
        nxt = j + 1
        if _continues_name(view, nxt, breaks) and not _names_party(view, nxt):
            j = nxt
        elif (
            view.low[nxt] in _NAME_JOINERS
            and j + 2 < end
            and raw[j + 2][:1].isupper()
            and view.low[j + 2] not in breaks
        ):
            j += 2
        elif (
            view.low[nxt] in ("'", "’")
            and len(raw[j]) == 1
            and raw[j] in "ODL"
            and j + 2 < end
            and raw[j + 2][:1].isupper()
        ):
            j += 2  # "James O'Keefe", "Dinesh D'Souza": one surname
        elif (
            view.low[nxt] == "."
            and ((len(raw[j]) == 1 and raw[j].isupper()) or view.low[j] in view.grammar.name_titles)
            and j + 2 < end
            and _continues_name(view, j + 2, breaks)
        ):
            j += 2  # an initial or a title: "R. Kelly", "Rep. Marjorie Taylor Greene"
        else:
            break
    return j


def _names_party(view: View, k: int) -> bool:
    """A platform or watchlist name: never the next word of another name (a capitalised
    cue may be: "Free Speech Union", "Premier League")."""
    span = view.at(k)
    return span is not None and (span.has("platform") or span.has("target"))


def _continues_name(view: View, k: int, breaks: frozenset[str]) -> bool:
    raw = view.tokens.raw[k]
    if "-" in raw and raw.rsplit("-", 1)[1].islower():
        return False
    if len(raw) == 1 and raw.isupper():
        return k > 0  # "Courier A", "Plan B": a capital letter inside a sentence is no "a"
    return raw[:1].isupper() and view.low[k] not in breaks


def _after_titles(view: View, k: int, j: int) -> int:
    """The first token of a name after the titles and roles in front of it ("President
    Donald Trump", "Congresswoman Marjorie Taylor Greene", "AfD-Politikerin Beatrix von
    Storch"); a name is never all title."""
    titles = view.grammar.name_titles
    m = k
    while m < j and (view.low[m] in titles or view.low[m].rsplit("-", 1)[-1] in titles):
        m += 1
        if view.word(m) == "." and m < j:
            m += 1
    return m


def _modifies_next_word(view: View, j: int, end: int) -> bool:
    nxt = j + 1
    if nxt >= end:
        return False
    word = view.tokens.raw[nxt]
    owned = view.at(nxt)
    if owned is not None and owned.has("object"):
        return False  # "Joe Rogan episodes", "Alex Jones channel": the name owns them
    if view.low[nxt] in _ORGANISATIONS:
        return False  # "the Vox party", "the Titanic magazine": the name is the body itself
    return (
        word[:1].islower()
        and word.replace("-", "").isalpha()  # "Musk jet-tracking account": about Musk
        and not word.endswith("ly")  # "Jayda Fransen temporarily barred": an adverb
        and view.low[nxt] not in view.grammar.prepositions
        and view.low[nxt] not in view.grammar.right_bounds
        and view.low[nxt] not in ("and", "or", "who", "which", "that")
        and view.low[nxt] not in ("out", "off", "up", "down", "back", "away")  # particles
        and view.low[nxt] not in view.grammar.passive_aux
        and view.low[nxt] not in _AUXILIARIES
    )


def _in_head_phrase(view: View, k: int, head: int) -> bool:
    """Inside the object's noun phrase: only lower-case words (no preposition, comma or
    conjunction) between its head and the name."""
    if k - head > 6:
        return False
    for m in range(head, k):
        word = view.low[m]
        if word in view.grammar.prepositions or word in (",", "and", "or", ";", ":"):
            return False
        if word in ("who", "which", "that", "whose"):
            return False  # "a teen who hid Uighur criticism": the clause says what she did
        if m > head and word.endswith("ing") and word.isalpha() and len(word) > 5:
            return False  # "accounts promoting the Communist Party": what they did
    return True


def _apposition(view: View, k: int, head: int) -> bool:
    """ ", the Tatmadaw": a name set off by a comma right after the object's head."""
    m = k - 1
    if view.word(m) in ("the", "a", "an"):
        m -= 1
    if view.word(m) != ",":
        return False
    if m - head <= 4:
        return True
    # "the accounts of Iran's supreme leader, Ayatollah Ali Khamenei": the owner, named
    between = view.low[head:m]
    return (
        m - head <= 9
        and "of" in between
        and "," not in between
        and "and" not in between[between.index("of") :]
    )


def _name_word(view: View, k: int, stop: frozenset[str]) -> bool:
    """A capitalised word that can be part of a name; "Russia-based" and "Kremlin-linked"
    are adjectives."""
    raw = view.tokens.raw[k]
    if "-" in raw and raw.rsplit("-", 1)[1].islower():
        return False
    return (raw[:1].isupper() or _digit_name(raw)) and view.low[k] not in stop


def _digit_name(raw: str) -> bool:
    """ "8chan", "4chan": a name that starts with a digit (not "10pm", "2nd", "1980s")."""
    return (
        raw[:1].isdigit()
        and sum(c.isalpha() for c in raw) >= 3
        and not raw.lower().endswith(("pm", "am", "th", "st", "nd", "rd", "s", "m", "k"))
    )


def _names_something(view: View, k: int) -> bool:
    """A token that is a platform, target or cue, not the next word of a name (an object
    noun may be: "Tonight Shop")."""
    span = view.at(k)
    return span is not None and not span.has("object")


def _after_object(view: View, k: int, head: int) -> bool:
    """Apposition to the object noun at the head: "the streamer Dr Lupo", "the forum
    r/WallStreetBets" (a subreddit or user prefix is skipped)."""
    m = k - 1
    if view.word(m) == "/" and view.word(m - 1) in ("r", "u"):
        if m - 1 == head:
            return True  # "banned r/The_Donald"
        m -= 2
    span = view.at(m)
    return span is not None and span.has("object") and span.i <= head + 1


def first_content(view: View, start: int, end: int) -> int:
    """The first token of the object that is not a determiner, number or adverb (kept
    per view: object flags, names, pronouns and generic objects ask it of one window)."""
    known = view.first_contents.get((start, end))
    if known is not None:
        return known
    k = start
    low, grammar = view.low, view.grammar
    while k < end:
        word = low[k]
        if not (
            word in grammar.determiners
            or word in _QUANTIFIERS
            or word in grammar.skip_adverbs
            or word in _MULTIPLIERS
            or word in _QUOTES
            or (word[:1].isdecimal() and _NUMBER.match(word))  # \d is isdecimal()
        ) or _name_goes_on(view, k):
            break
        k += 1
    view.first_contents[start, end] = k
    return k


def pronoun_target(
    view: View, start: int, end: int, before: int, actor: str | None = None
) -> Target | None:
    """A pronoun at the head of the object ("deleted its accounts", "banned them") that
    refers to the nearest watchlist name earlier in the sentence."""
    head = first_content(view, start, end) if start < end else start
    pronouns = view.grammar.target_pronouns
    if view.word(start) not in pronouns and view.word(head) not in pronouns:
        return None
    for span in reversed(view.spans_between(0, before, "target")):
        term = span.of("target")
        assert term is not None
        return Target(term.name, PRONOUN, span.i, span.j)
    pronoun = start if view.word(start) in view.grammar.target_pronouns else head
    if view.word(pronoun) in ("it", "him", "her", "them") and view.word(pronoun + 1) in (
        "from",
        "off",
    ):
        return _referent_removed(view, before, actor)
    if view.word(pronoun) in ("it", "him", "her", "them"):
        return referent(view, before)
    return None


def referent(view: View, before: int) -> Target | None:
    """Whom "it" or "him" stands for: the last name before the actor that no preposition
    governs ("The Liberty Bell Fund says PayPal has banned it", "leaving @nypost unable to
    tweet after Twitter froze it")."""
    for name in reversed(names_in_range(view, 0, before)):
        lead = name.i - 2 if view.word(name.i - 1) == "the" else name.i - 1
        if view.word(lead) in view.grammar.prepositions:
            continue
        if view.word(name.j + 1) in view.grammar.name_titles:
            continue  # "The Harlem rapper ... her account": where she is from, not who
        return Target(name.name, PRONOUN, name.i, name.j)
    return None


def _referent_removed(view: View, before: int, actor: str | None) -> Target | None:
    """ "Apple removed it from the App Store": what was removed from somewhere is an
    account or an app, named earlier in the sentence: the nearest other platform or
    name there."""
    for span in reversed(view.spans_between(0, before, "platform")):
        term = span.of("platform")
        assert term is not None
        if term.name != actor and not view.after_preposition(span.i):
            return Target(term.name, PRONOUN, span.i, span.j)
    names = names_in_range(view, 0, before)
    return Target(names[-1].name, PRONOUN, names[-1].i, names[-1].j) if names else None


def subject_pronoun(view: View, start: int, end: int) -> bool:
    return not view.grammar.target_pronouns.isdisjoint(view.low[max(0, start) : max(0, end)])


def role_target(view: View, start: int, end: int) -> Target | None:
    """A person named only by role, "the alt-right leader", "a debate streamer", whom the
    headline or lead names (``monitor.classify.classifier`` resolves it)."""
    head = first_content(view, start, end)
    titles = view.grammar.name_titles
    if view.spans_between(start, end, "platform"):
        return None  # "TikTok star banned from driving": the platform only describes them
    for k in range(head, min(end, head + 4)):
        if (
            view.low[k] in titles
            and view.word(k + 1) not in titles
            and view.low[k] not in view.grammar.named_stopwords  # "Chinese": no role
        ):
            if view.word(k + 1) in ("'s", "of") or view.tokens.raw[k + 1 : k + 2] == [","]:
                return None
            return Target(view.text(head, k), GENERIC, head, k)
        if view.low[k] in view.grammar.prepositions:
            return None
    return None


def the_app(view: View, span: Span) -> bool:
    """ "the app" in object position: the phrase is also a platform's pronoun ("the app
    said"), which the matcher prefers; after a verb it is an app."""
    return span.has("cue", "actor_pronoun") and view.low[span.j] in ("app", "application")


def generic_target(view: View, start: int, end: int, classes: tuple[str, ...]) -> Target | None:
    """The object phrase itself when it names accounts, a network or an app but no owner:
    "470 inauthentic accounts", "accounts linked to Russian media groups". The object
    noun must head the phrase: in "restored the logo to its profile" the profile is not
    what was restored."""
    head = first_content(view, start, end)
    last = -1
    prepositions = view.grammar.prepositions
    wanted = {("object", c) for c in classes}
    for span in view.spans:
        if span.i < head and not (span.j >= head and the_app(view, span)):
            continue
        if span.i >= end:
            continue
        if span.i - head > 5:
            break
        if not prepositions.isdisjoint(view.low[head : span.i]) and any(
            word in prepositions and word != "of" for word in view.low[head : span.i]
        ):
            break
        if not wanted.isdisjoint(span.kinds) or ("app" in classes and the_app(view, span)):
            last = span.j
    if last < 0:
        return None
    j = last
    network_nouns = view.grammar.network_nouns
    while j + 1 < end and view.low[j + 1] in network_nouns and view.at(j + 1) is None:
        j += 1  # "covert influence networks": the whole noun phrase
    last = j
    link = view.at(last + 1)
    if link is not None and link.has("cue", "link"):
        j = link.j
        while j + 1 < end and j - link.j < 5 and view.word(j + 1) not in (",", ";", ".", ":"):
            j += 1
    words = view.text(head, j).strip("“”\"' ")
    return Target(words, GENERIC, head, j) if words else None


def linked_targets(view: View) -> list[Target]:
    """Watchlist names tied to something by a link word shortly before them: "traced the
    ad purchases to the Internet Research Agency", "linked to the troll factory"."""
    found = []
    for span in view.spans:
        term = span.of("target")
        if term is None:
            continue
        if view.cue_between(max(0, span.i - LINK_REACH), span.i, "link") is not None:
            found.append(Target(term.name, CONTEXT, span.i, span.j))
    return found


def find_scale(view: View, start: int, end: int) -> tuple[str, bool] | None:
    """A scale, "470 accounts" from "470 “inauthentic” Russia-based accounts": a number and the
    unit noun a few words after it; ``True`` when the number is written in digits."""
    grammar = view.grammar
    low = view.low
    for k in range(start, end):
        word = low[k]
        # a number starts with a digit: most words skip the pattern (\d is isdecimal())
        numeric = (
            word[:1].isdecimal() and bool(_NUMBER.match(word)) and not _looks_like_year(view, k)
        )
        if not (numeric or word in grammar.number_words):
            continue
        number_end = k
        if view.word(k + 1) in _MULTIPLIERS:
            number_end = k + 1
        if view.word(number_end + 1) == "of":
            if word not in _COLLECTIVES:
                continue  # "two of Russia's biggest outlets" counts outlets, not a scale
            number_end += 1
        for u in range(number_end + 1, min(end, number_end + 6)):
            unit = view.low[u]
            if unit in grammar.scale_units:
                return f"{view.text(k, number_end)} {unit}", numeric
            if unit in (",", ";", ":") or unit in grammar.right_bounds:
                break
    return None


def _looks_like_year(view: View, k: int) -> bool:
    word = view.low[k]
    return len(word) == 4 and word.isdigit() and 1900 <= int(word) <= 2100


def names_in(view: View) -> list[Target]:
    """Every name a sentence gives outside the lexicon's words, longest first: the owner
    a later "the comedian's channel" means. Nothing in a title-case headline."""
    found = names_in_range(view, 0, view.n)
    found.sort(key=lambda t: -(t.j - t.i))
    return found


def names_in_range(view: View, start: int, end: int) -> list[Target]:
    """The names over tokens [start, end), in order; none in a title-case headline."""
    if view.title_case:
        return []
    stop = view.grammar.named_stopwords
    found: list[Target] = []
    k = start
    while k < end:
        if k > 0 and view.low[k - 1] in ("'s",):
            k += 1
            continue
        if view.word(k) == "@" and k + 1 < end:
            found.append(Target(view.text(k, k + 1), OWNER, k, k + 1))
            k += 2
            continue
        if not _name_start(view, k, end, stop) or not _free_or_place(view, k, end):
            k += 1
            continue
        j = _name_end(view, k, end)
        first = _after_titles(view, k, j)
        if view.word(first - 1) == "/" and view.word(first - 2) in ("r", "u"):
            first -= 2
        name = view.text(first, j)
        if k == 0 and j == 0 and view.tokens.raw[0].isalpha() and not _named_first(view):
            pass  # a lone capitalised first word is just the start of the sentence
        elif len(name) > 2:
            found.append(Target(name, OWNER, first, j))
        k = j + 1
    return found


_ORIGIN_LEADS = frozenset(
    {"from", "based", "run", "operated", "originating", "originated", "behalf", "government",
     "governments", "created", "registered"}
)  # fmt: skip
_ORIGIN_REACH = 4


def origins_in(
    view: View, origins: Mapping[str, tuple[str, bool]], start: int = 0, end: int | None = None
) -> list[str]:
    """The countries a sentence ties something to, in order of mention: an adjective
    ("Iranian", "Saudi influence pages"), a place after a link word ("linked to Iran and
    Russia", "run from Moscow"), either before a hyphen ("China-based")."""
    found: dict[str, None] = {}
    low = view.low
    stop = view.n if end is None else min(end, view.n)
    for k in range(start, stop):
        word = low[k]
        entry = None
        if k + 1 < view.n and f"{word} {low[k + 1]}" in origins:
            entry = origins[f"{word} {low[k + 1]}"]
        elif word in origins:
            entry = origins[word]
        elif "-" in word and word.split("-", 1)[0] in origins:
            entry = (origins[word.split("-", 1)[0]][0], False)
        if entry is None:
            continue
        country, place = entry
        if place and not _after_link(view, k):
            continue
        found.setdefault(country, None)
    return list(found)


def _after_link(view: View, k: int) -> bool:
    start = max(0, k - _ORIGIN_REACH)
    if any(view.low[m] in _ORIGIN_LEADS for m in range(start, k)):
        return True
    return view.cue_between(start, k, "link") is not None


def origin_target(countries: list[str]) -> Target:
    """An unnamed network by its origin: "network linked to Iran and Russia"."""
    listed = (
        countries[0] if len(countries) == 1 else ", ".join(countries[:-1]) + " and " + countries[-1]
    )
    return Target(f"network linked to {listed}", ORIGIN)
