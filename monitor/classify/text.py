"""Article text -> sentences with their place in the page: title, lead, body or clutter.

Everything here keeps offsets: the document is ``title + "\\n\\n" + text`` with template
tags blanked out (same length), so a sentence's offsets, a match's offsets and the
evidence's spans all index one string.

Clutter is decided per line, the way pages carry it (see the seeds): navigation menus and
"recent news" lists are runs of short lines without sentence punctuation; a sidebar starts
at a marker line ("RECENT NEWS", "Related") and runs until real prose returns; teasers end
in "Read more"; in-article links to other stories are set in capitals.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from monitor.classify.lexicon import Grammar

TITLE, LEAD, BODY, CLUTTER = "title", "lead", "body", "clutter"
LEAD_SENTENCES = 3
SHORT_LINE = 120
SHORT_RUN = 3
PROSE_AFTER_SIDEBAR = 200

# A mustache section ({{#x}} ... {{/x}}) is template source, blanked with its content.
_TEMPLATE = re.compile(r"\{\{#(\w+)\}\}.*?\{\{/\1\}\}|\{\{.*?\}\}|\{%.*?%\}|<[^<>\n]{1,200}>")
_STRIPPED_LINE = re.compile(r"\S(?:[^\n]*\S)?")  # a line without the white space around it
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_TOKEN = re.compile(r"\d+(?:[,.]\d+)+|\w+(?:[-.]\w+)*|['’](?:s|t|re|ve|ll|d|m)\b|[^\w\s]")
# _TOKEN, capturing, with possessive repeats (nothing they give back could match) for
# splitting; and for ASCII text the same in ASCII mode, where \s lacks \x1c-\x1f, so
# they are kept out of the last class by hand (split 7.0 -> 3.5 us per sentence).
_TOKEN_PIECES = r"(\d++(?:[,.]\d++)++|\w++(?:[-.]\w++)*+|['’](?:s|t|re|ve|ll|d|m)\b|[^\w\s%s])"
_SPLIT_TOKENS = re.compile(_TOKEN_PIECES % "")
_SPLIT_ASCII_TOKENS = re.compile(_TOKEN_PIECES % "\x1c-\x1f", re.ASCII)
_SENTENCE_END = (".", "!", "?", '."', ".'", ".”", ".’", '!"', '?"', "!”", "?”", ".)", ":")
_OPENERS = "\"'“‘([«"

# ``fold`` lower-cases and turns every character that cannot be part of a word into a
# space, one character for one, so matches found in the folded text index the original.
# ASCII text goes through bytes.translate; other text through numpy (both ~20x faster
# than str.translate, which looks every character up in a dict). numpy is imported with the
# first non-ASCII text, so the names a read verb folds (monitor.classify.vocabulary) cost
# no numpy import.
_ASCII_FOLD = bytes(c if chr(c).isalnum() else 32 for c in range(256))
_PUNCT = "’‘“”–—…«»·•|©®™°§¶\u00a0\u2009\u200b\u2002\u2003\u200e\u200f„‚′″•●■►▶→←¦"

_PUNCT_SET = frozenset(_PUNCT)


@cache
def _numpy_tables() -> tuple[Any, Any]:
    """numpy and one boolean per code point (0 .. U+10FFFF, 1.1 MB): fold it to a space.
    One indexing pass replaced np.isin over the punctuation list plus the ASCII mask
    (fold of a 5 KB non-ASCII article: 0.39 ms -> 0.08 ms in cProfile, bench/classify.py)."""
    import numpy as np

    space = np.zeros(0x110000, dtype=bool)
    space[[i for i in range(128) if not chr(i).isalnum()]] = True
    space[sorted(map(ord, _PUNCT))] = True
    return np, space


def fold(text: str) -> str:
    """Lower case, punctuation to spaces, same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two (İ -> i̇)
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    if low.isascii():
        return low.encode("ascii").translate(_ASCII_FOLD).decode("ascii")
    if len(low) < 512:  # a name, a headline: numpy's setup costs more than it saves
        return "".join(
            " " if (c < "\x80" and not c.isalnum()) or c in _PUNCT_SET else c for c in low
        )
    np, space = _numpy_tables()
    codes = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32).copy()
    codes[space[codes]] = 32
    folded: str = codes.tobytes().decode("utf-32-le")
    return folded


def blank_templates(text: str) -> str:
    """``{{#rendered}} ... {{/rendered}}``, ``{{tag}}``, ``{% tag %}`` and stray HTML tags
    become spaces (same length)."""
    if "{" not in text and "<" not in text:
        return text
    return _TEMPLATE.sub(lambda m: " " * len(m.group()), text)


class Sentence(NamedTuple):
    """One sentence (or one clutter line) of the document, by offsets. (A named tuple:
    ~50 per article are made, and a frozen dataclass takes four times as long; its
    ``index`` field hides tuple.index, which nothing calls.)"""

    start: int
    end: int
    kind: str  # title | lead | body | clutter
    index: int  # type: ignore[assignment]  # order in the document
    paragraph: int  # line number, so context can stay in one paragraph


class Tokens(NamedTuple):
    """A sentence's word tokens: lower-cased text, original text, document offsets."""

    low: list[str]
    raw: list[str]
    starts: list[int]
    ends: list[int]


def tokenize(doc: str, start: int, end: int) -> Tokens:
    # Every character that is not white space belongs to a token, so splitting the
    # sentence on tokens leaves only white space between them: the lengths of the pieces,
    # added up, give every offset without a match object per token.
    text = doc[start:end]
    splitter = _SPLIT_ASCII_TOKENS if text.isascii() else _SPLIT_TOKENS
    pieces = splitter.split(text)  # gap, token, gap, ..., token, gap
    offsets = list(accumulate(map(len, pieces), initial=start))
    raw = pieces[1::2]
    # No token holds a space, so the lower-cased tokens are one join, lower and split.
    # That is what tokenising the lower-cased sentence gives unless lower-casing changes
    # a character's length (only U+0130 does), depends on the neighbours (only a capital
    # sigma's does) or a lone apostrophe meets a capital ("'S": the one case-sensitive
    # pattern); those sentences are tokenised again, lower-cased. Every other code point
    # keeps its word, digit and space class when lower-cased (checked over all of them).
    joined = " ".join(raw)
    lowered = joined.lower()
    if not raw:
        low = []
    elif (
        len(lowered) == len(joined)
        and "Σ" not in joined
        # a lone apostrophe token: searched for in the list only when the text has one
        and (("'" not in joined and "’" not in joined) or ("'" not in raw and "’" not in raw))
    ):
        low = lowered.replace("’", "'").split(" ")
    else:
        low = _TOKEN.findall(text.lower().replace("’", "'"))
        if len(low) != len(raw):  # lower-casing changed a token's shape; rare
            low = [w.lower().replace("’", "'") for w in raw]
    return Tokens(low, raw, offsets[1:-1:2], offsets[2::2])


def build_document(title: str, text: str) -> tuple[str, int]:
    """The one string everything indexes, and where the text starts in it."""
    title = " ".join((title or "").split())
    doc = blank_templates(title + "\n\n" + (text or ""))
    return doc, len(title) + 2


def segment(
    doc: str, text_start: int, grammar: Grammar, hit_starts: list[int] | None = None
) -> list[Sentence]:
    """The title, then every line of the text: prose lines split into sentences, marked
    lead (the first few) or body, and clutter lines kept whole.

    With ``hit_starts`` (sorted offsets of lexicon matches), a body line without any match
    is not split: nothing in it can bind, and its sentences are only counted (by full
    stops) so that sentence indexes keep their distances.
    """
    sentences: list[Sentence] = []
    title_end = text_start - 2
    title_text = doc[:title_end].strip()
    if title_text:
        sentences.append(Sentence(0, title_end, TITLE, 0, -1))
    lines = _lines(doc, text_start)
    clutter = _clutter_flags(doc, lines, grammar)
    prose_seen = 0
    index = len(sentences)
    title_key = " ".join(title_text.lower().split())
    for number, ((start, end), is_clutter) in enumerate(zip(lines, clutter, strict=True)):
        if is_clutter:
            sentences.append(Sentence(start, end, CLUTTER, index, number))
            index += 1
            continue
        if (
            hit_starts is not None
            and prose_seen >= LEAD_SENTENCES
            and not _any_between(hit_starts, start, end)
        ):
            index += doc.count(". ", start, end) + 1
            continue
        for s_start, s_end in split_sentences(doc, start, end, grammar.abbreviations):
            if (
                title_key
                and abs(s_end - s_start - len(title_key)) < 8
                and " ".join(doc[s_start:s_end].lower().split()) == title_key
            ):
                continue  # the headline repeated in the text
            kind = LEAD if prose_seen < LEAD_SENTENCES else BODY
            prose_seen += 1
            sentences.append(Sentence(s_start, s_end, kind, index, number))
            index += 1
    return sentences


def _any_between(starts: list[int], start: int, end: int) -> bool:
    k = bisect_right(starts, start - 1)
    return k < len(starts) and starts[k] < end


def _lines(doc: str, text_start: int) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line of the text, stripped."""
    return [m.span() for m in _STRIPPED_LINE.finditer(doc, text_start)]


def _clutter_flags(doc: str, lines: list[tuple[int, int]], grammar: Grammar) -> list[bool]:
    """Which ``lines`` (stripped, as ``_lines`` gives them) are page clutter."""
    flags = [False] * len(lines)
    in_sidebar = False
    run = 0  # short lines so far in a row
    for i, (start, end) in enumerate(lines):
        line = doc[start:end]
        low = line.lower().rstrip(" :").strip()
        ends_sentence = line.endswith(_SENTENCE_END)
        if len(line) < SHORT_LINE and not ends_sentence:
            run += 1
        else:
            if run >= SHORT_RUN:  # runs of short lines: menus, link lists, bylines, captions
                flags[i - run : i] = [True] * run
            run = 0
        if low in grammar.sidebar_markers:
            in_sidebar = True
            flags[i] = True
            continue
        if low in grammar.clutter_markers or line.count("|") >= 2 or _shouting(line):
            flags[i] = True
            continue
        if low.endswith(grammar.teaser_endings):
            flags[i] = True
            continue
        if in_sidebar:
            if len(line) >= PROSE_AFTER_SIDEBAR and ends_sentence:
                in_sidebar = False
            else:
                flags[i] = True
    if run >= SHORT_RUN:
        flags[len(lines) - run :] = [True] * run
    return flags


def _shouting(line: str) -> bool:
    """A line set in capitals (an in-article link to another story)."""
    return len(line) >= 16 and line.isupper()


def split_sentences(
    doc: str, start: int, end: int, abbreviations: frozenset[str]
) -> list[tuple[int, int]]:
    """Sentence spans of one line: split after . ! ? when a capital, digit or opening
    quote follows and the word before the full stop is not an abbreviation or initial."""
    # A boundary is a stop followed by white space before ``end``: with no stop before the
    # last character (when that one is not white space) there is none, and no search.
    body = doc[start : end - 1] if end > start and not doc[end - 1].isspace() else doc[start:end]
    if ("." not in body and "!" not in body and "?" not in body and "…" not in body) or (
        _BOUNDARY.search(doc, start, end) is None
    ):  # one sentence: most lines of news
        kept = doc[start:end].rstrip()
        return [(start, start + len(kept))] if kept else []
    spans = []
    cut = start
    for m in _BOUNDARY.finditer(doc, start, end):
        nxt = m.end()
        if nxt >= end:
            break
        following = doc[nxt]
        if not (following.isupper() or following.isdigit() or following in _OPENERS):
            continue
        if doc[m.start()] == ".":
            w = m.start()
            while w > cut and (doc[w - 1].isalnum() or doc[w - 1] == "."):
                w -= 1
            word = doc[w : m.start()].lower()
            if word in abbreviations or (len(word) == 1 and word.isalpha()):
                continue
        spans.append((cut, m.end()))
        cut = nxt
    if cut < end:
        spans.append((cut, end))
    out = []
    for s, e in spans:
        kept = doc[s:e].rstrip()
        if kept:  # not blank
            out.append((s, s + len(kept)))
    return out


def is_title_case(tokens: Tokens) -> bool:
    """Headline capitalisation: most longer words start with a capital, so capitals say
    nothing about names."""
    words = [w for w in tokens.raw if len(w) > 3 and w[0].isalpha()]
    if len(words) < 3:
        return False
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) >= 0.7
