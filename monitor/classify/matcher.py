"""One pass of one Aho-Corasick automaton over the whole document finds every lexicon
phrase at once (PERF.md: ~10,000 articles/s where a loop of regexes manages ~50).

The automaton holds each phrase folded (``text.fold``: lower case, punctuation as spaces)
and padded with a space on each side, and runs over the folded document padded the same
way, so every match is a whole-word match and its offsets are the original's. Of
overlapping matches the leftmost-longest is kept ("Russia Today" over "Russia", "ad ban"
over "ban"); phrases with an exact spelling ("X", "RT", "Meta") are checked against the
original text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

from monitor.classify.text import fold

if TYPE_CHECKING:
    from monitor.classify.lexicon import Lexicon, Term


_START = itemgetter(0)


class Hit:
    """A lexicon phrase found at [start, end) of the document, with what it may mean.
    ``kinds``: each term's kind and (kind, name), for a fast ``has``. (Slots, not a named
    tuple, for the same reason as ``view.Span``: fields read faster.)"""

    __slots__ = ("end", "kinds", "start", "terms")

    def __init__(
        self, start: int, end: int, terms: tuple[Term, ...], kinds: frozenset[object]
    ) -> None:
        self.start = start
        self.end = end
        self.terms = terms
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"Hit(start={self.start}, end={self.end}, terms={self.terms!r})"

    def of(self, kind: str, name: str | None = None) -> Term | None:
        for term in self.terms:
            if term.kind == kind and (name is None or term.name == name):
                return term
        return None

    def has(self, kind: str, name: str | None = None) -> bool:
        return (kind if name is None else (kind, name)) in self.kinds


def find_hits(lexicon: Lexicon, doc: str) -> list[Hit]:
    """Every lexicon phrase in ``doc``, leftmost-longest, in document order."""
    folded = " " + fold(doc) + " "
    # ``last`` indexes the closing pad in the padded text, i.e. the phrase's end in doc
    raw = [
        (last - 1 - length, last - 1, terms, kinds)
        for last, (length, terms, kinds) in lexicon.automaton.iter(folded)
    ]
    # The automaton reports matches by their end; reversed, then sorted by start (a stable
    # sort), they come by start, longest first, with no key tuple made per match.
    raw.reverse()
    raw.sort(key=_START)
    hits: list[Hit] = []
    covered = -1
    for start, end, terms, kinds in raw:
        if start < covered and (end <= covered or "cue" not in hits[-1].kinds):
            continue
        if kinds is None:  # some meaning needs an exact spelling
            # the automaton matched the letters; an exact spelling needs the capitals too
            caps = "".join([c for c in doc[start:end] if c.isupper()])
            terms, kinds = _spelled(terms, caps)
            if not terms:
                continue
        if "target" in kinds and _SUFFIX.match(doc, end):
            continue  # "Donald Trump Jr.": another person than the watchlist's name
        if start < covered:
            # overlapping: a longer name, verb or object beats the shorter cue it overlaps
            # ("the App Store" is the store, not "the app"); otherwise the first one stays
            last = hits[-1]
            if end - start <= last.end - last.start or "cue" in kinds or len(last.terms) > 1:
                continue
            hits.pop()
        hits.append(Hit(start, end, terms, kinds))
        covered = end
    return hits


# A generational suffix after a name: its bearer is the son or the father.
_SUFFIX = re.compile(r",? (?:Jr|Sr|Junior|Senior)\b")


@lru_cache(maxsize=1024)  # a few dozen exact spellings ("X", "RT", "Meta"): a table
def _capitals(spelling: str) -> str:
    return "".join([c for c in spelling if c.isupper()])


# A table too: a ban-dense article meets ~20 phrases with an exact spelling, the same few
# ("RT", "X", "Meta") again and again (0.13 M of find_hits' 1.7 M instructions per
# ban-dense article under callgrind).
@lru_cache(maxsize=1024)
def _spelled(terms: tuple[Term, ...], caps: str) -> tuple[tuple[Term, ...], frozenset[object]]:
    """The meanings of a phrase an exact spelling allows, given the capitals the text
    wrote it with, and their kinds."""
    kept = tuple([t for t in terms if t.cased is None or caps == _capitals(t.cased)])
    return kept, kinds_of(kept)


def kinds_of(terms: tuple[Term, ...]) -> frozenset[object]:
    return frozenset([t.kind for t in terms] + [(t.kind, t.name) for t in terms])
