"""One sentence seen by the rules: its tokens and the lexicon hits aligned to them.

A hit that does not start and end on token boundaries is dropped here: "Russia-based"
is one token, so the "Russia" inside it is an adjective, not an actor.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from monitor.classify.text import TITLE, Tokens, is_title_case, tokenize

if TYPE_CHECKING:
    from monitor.classify.lexicon import Grammar, Term
    from monitor.classify.matcher import Hit
    from monitor.classify.text import Sentence


class Span:
    """A hit over tokens i..j (inclusive). ``kinds`` is the hit's, held here so that
    ``has`` (called ~600 times per ban-dense article) is one lookup, not two calls. A
    class with slots, not a named tuple: the rules read ``i``, ``j`` and ``kinds``
    thousands of times an article, and a slot is read about twice as fast as a named
    tuple's field (which Python 3.11 does not specialise)."""

    __slots__ = ("hit", "i", "j", "kinds")

    def __init__(self, i: int, j: int, hit: Hit, kinds: frozenset[object]) -> None:
        self.i = i
        self.j = j
        self.hit = hit
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"Span(i={self.i}, j={self.j}, hit={self.hit!r})"

    def has(self, kind: str, name: str | None = None) -> bool:
        return (kind if name is None else (kind, name)) in self.kinds

    def of(self, kind: str, name: str | None = None) -> Term | None:
        for term in self.hit.terms:
            if term.kind == kind and (name is None or term.name == name):
                return term
        return None


class View:
    """Tokens of one sentence with the hits that fall on them."""

    def __init__(self, doc: str, sentence: Sentence, hits: list[Hit], grammar: Grammar) -> None:
        self.doc = doc
        self.sentence = sentence
        self.grammar = grammar
        self.tokens: Tokens = tokenize(doc, sentence.start, sentence.end)
        self.low = self.tokens.low
        self.n = n = len(self.low)
        self.spans: list[Span] = []
        self.cover: list[Span | None] = [None] * n
        # a hit is kept only when it starts and ends on token boundaries (offsets strictly
        # increase, so the end's token is never before the start's)
        starts, ends, spans, cover = self.tokens.starts, self.tokens.ends, self.spans, self.cover
        for hit in hits:
            i = bisect_left(starts, hit.start)
            if i == n or starts[i] != hit.start:
                continue
            j = bisect_left(ends, hit.end, i)
            if j == n or ends[j] != hit.end:
                continue
            span = Span(i, j, hit, hit.kinds)
            spans.append(span)
            if i == j:
                cover[i] = span
            else:
                cover[i : j + 1] = [span] * (j + 1 - i)
        self._cues: dict[str, list[Span]] | None = None
        self._of_kind: dict[str, list[Span]] = {}
        self._title_case: bool | None = None
        # (start, end) -> targets.first_content: the rules ask it of one window ~2 times
        self.first_contents: dict[tuple[int, int], int] = {}

    @property
    def title_case(self) -> bool:
        """A headline in Title Case, where capitals say nothing about names. A body
        sentence is prose however many names it holds ("Twitter locked Kanye West's
        Twitter account on Sunday")."""
        if self._title_case is None:
            self._title_case = self.sentence.kind == TITLE and is_title_case(self.tokens)
        return self._title_case

    def at(self, k: int) -> Span | None:
        return self.cover[k] if 0 <= k < self.n else None

    def word(self, k: int) -> str:
        return self.low[k] if 0 <= k < self.n else ""

    def cue_between(self, start: int, end: int, *names: str) -> Span | None:
        """The first cue of one of ``names`` over tokens [start, end). The sentence's cues
        are listed by name once (~130 calls per ban-dense article, most for a cue the
        sentence does not have)."""
        by_name = self._cues
        if by_name is None:
            by_name = self._cues = {}
            for s in self.spans:
                if "cue" in s.kinds:
                    for term in s.hit.terms:
                        if term.kind == "cue":
                            by_name.setdefault(term.name, []).append(s)
        first = None
        for name in names:
            for span in by_name.get(name, ()):
                if span.i >= start and span.j < end:
                    if first is None or span.i < first.i:
                        first = span
                    break
        return first

    def spans_between(self, start: int, end: int, kind: str) -> list[Span]:
        of_kind = self._of_kind.get(kind)
        if of_kind is None:
            of_kind = self._of_kind[kind] = []
            for s in self.spans:
                if kind in s.kinds:
                    of_kind.append(s)
        out = []
        for s in of_kind:
            if s.i >= start and s.j < end:
                out.append(s)
        return out

    def after_preposition(self, i: int) -> bool:
        """Whether the phrase starting at token ``i`` follows a preposition, looking through
        a list ("on Facebook and Instagram": both follow "on")."""
        k = i - 1
        while k >= 0:
            word = self.low[k]
            if word in ("and", "or", ",", "&", "und", "e", "y", "et", "oder", "o", "ou"):
                span = self.at(k - 1)
                if span is not None and (span.has("platform") or span.has("target")):
                    k = span.i - 1
                    continue
                return False
            return word in self.grammar.prepositions
        return False

    def skip_adverbs_back(self, k: int) -> int:
        """The index at or before ``k`` that is not an adverb."""
        adverbs = self.grammar.skip_adverbs
        while k >= 0 and (self.low[k] in adverbs or self.low[k].endswith("ly")):
            k -= 1
        return k

    def skip_adverbs(self, k: int) -> int:
        """The index at or after ``k`` that is not an adverb."""
        adverbs = self.grammar.skip_adverbs
        while k < self.n and (self.low[k] in adverbs or self.low[k].endswith("ly")):
            k += 1
        return k

    def offsets(self, i: int, j: int) -> tuple[int, int]:
        return self.tokens.starts[i], self.tokens.ends[j]

    def text(self, i: int, j: int) -> str:
        start, end = self.offsets(i, j)
        return " ".join(self.doc[start:end].split())
