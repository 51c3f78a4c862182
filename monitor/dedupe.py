"""Duplicate articles: one story is stored once, however many URLs and copies it has.

Three keys, cheapest first:

* ``canonical_url``: the URL without tracking parameters, fragment, default port,
  ``www.``/``m.``/``amp.`` host prefix, AMP path or query marker, AMP-cache wrapper or
  trailing slash (courlan cleans and sorts the query; a few trackers courlan misses are
  removed by name). Every URL a story was seen under is kept in ``article_url``.
* ``content_hash``: SHA-256 of the normalised text (same words, any markup or spacing).
* ``minhash``: a 60-value MinHash of the text's word 3-shingles, stored with its 20 LSH band
  keys (3 values each) in ``article_band``. A copy with other page clutter, or a wire story
  with another outlet's boilerplate, shares at least one band with the stored copy (99% of
  the copies measured on the shared corpus did); the candidates are then checked by their
  estimated Jaccard similarity. The index lives in the database, so a lookup is one index
  probe per band at any size and costs no memory in the process.

Why not the 64-bit SimHash with four 16-bit bands this module started with: on the shared
corpus a copy with other clutter lay 4-20 bits from its original (median 9.5), while the
four-band lookup only finds copies within 3 bits; a wider SimHash radius needs narrower
bands, whose probes return a growing share of the whole table. MinHash LSH in the database
keeps both recall and a flat lookup (``bench/dedupe.py`` measures it).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
import xxhash
from sqlalchemy.orm import Session

from monitor.models import Article, ArticleBand, ArticleUrl
from monitor.urls import canonical_url, outlet_of, outlet_of_key, usable_rel_canonical

__all__ = ["canonical_url", "outlet_of", "outlet_of_key", "usable_rel_canonical"]

SHINGLE_WORDS = 3
SIGNATURE_SIZE = 60
BAND_ROWS = 3
BANDS = SIGNATURE_SIZE // BAND_ROWS
# Estimated Jaccard similarity of 3-shingle sets at or above which two texts are one story.
# Measured on the shared corpus: same-story write-ups by different outlets <= 0.12,
# unrelated pages <= 0.04, copies with other clutter >= 0.2 (median 0.8).
DUPLICATE_SIMILARITY = 0.3
# Texts with fewer distinct shingles (about 40 words) are only ever exact duplicates: two
# short briefs built from one template ("Twitter bans ads from RT" / "... from Sputnik")
# share most of their few shingles while reporting different things.
MIN_NEAR_SHINGLES = 40
# At most this many band candidates are checked (those sharing the most bands first), so
# a text sharing boilerplate with thousands of stored ones cannot make a lookup slow.
MAX_CANDIDATES = 16

# Words; Chinese and Japanese script, written without spaces, counts one word per character.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)
# MinHash permutations: h_i(x) = high 32 bits of (a_i * x + b_i) mod 2**64, a_i odd. The
# constants come from xxh64 of fixed seeds, not a random generator, so stored signatures
# stay comparable across numpy versions.
_MUL = np.array(
    [xxhash.xxh64_intdigest(b"banwatch-minhash-a", seed=i) | 1 for i in range(SIGNATURE_SIZE)],
    dtype=np.uint64,
)
_ADD = np.array(
    [xxhash.xxh64_intdigest(b"banwatch-minhash-b", seed=i) for i in range(SIGNATURE_SIZE)],
    dtype=np.uint64,
)
_SHIFT = np.uint64(32)
_BLOCK = 128  # shingles per block: 60 x 128 x 8 bytes = 60 KB, well inside malloc's heap
_SHINGLE_MUL = np.uint64(0x9E3779B97F4A7C15)
_FINAL_MUL = np.uint64(0xBF58476D1CE4E5B9)


# --- URLs ----------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The text's words, NFKC-normalised and case-folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalise_text(text: str) -> str:
    return " ".join(words(text))


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for the same words in any spacing, punctuation
    or case."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingle_hashes(text: str | list[str], size: int = SHINGLE_WORDS) -> np.ndarray:
    """A 64-bit hash of each distinct word ``size``-shingle (a shorter text is one shingle).

    Each word is hashed once (xxh64); a shingle's hash mixes its words' hashes with odd
    multipliers and a final xorshift-multiply, so no shingle string is ever built.
    ``text`` may be given as its ``words``.
    """
    tokens = words(text) if isinstance(text, str) else text
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    word_hashes = np.fromiter(
        (xxhash.xxh64_intdigest(t.encode("utf-8")) for t in tokens),
        dtype=np.uint64,
        count=len(tokens),
    )
    width = min(size, len(tokens))
    count = len(tokens) - width + 1
    mixed = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        mixed = mixed * _SHINGLE_MUL + word_hashes[offset : offset + count]
    mixed ^= mixed >> np.uint64(31)
    mixed *= _FINAL_MUL
    mixed ^= mixed >> np.uint64(29)
    return np.unique(mixed)


def minhash(text: str | list[str]) -> np.ndarray:
    """The text's MinHash signature: ``SIGNATURE_SIZE`` uint32 values (all-ones if empty)."""
    return _signature(shingle_hashes(text))


def _signature(hashes: np.ndarray) -> np.ndarray:
    if hashes.size == 0:
        return np.full(SIGNATURE_SIZE, 0xFFFFFFFF, dtype=np.uint32)
    # Blocks of shingles keep each temporary small: one 60 x 1,000 uint64 product is
    # ~480 KB, which malloc hands out as fresh mmapped pages, and faulting those in cost
    # 4x the arithmetic (bench/crawl.py). The shift comes after the min: it is monotonic.
    lowest = np.full(SIGNATURE_SIZE, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, hashes.size, _BLOCK):
        permuted = _MUL[:, None] * hashes[None, start : start + _BLOCK]
        permuted += _ADD[:, None]
        np.minimum(lowest, permuted.min(axis=1), out=lowest)
    return (lowest >> _SHIFT).astype(np.uint32)


def signature_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def band_keys(signature: np.ndarray) -> list[int]:
    """The LSH band keys of a signature, one signed 64-bit int per band of ``BAND_ROWS``."""
    raw = signature.astype("<u4").tobytes()
    step = BAND_ROWS * 4
    keys = []
    for band in range(BANDS):
        value = xxhash.xxh64_intdigest(raw[band * step : (band + 1) * step], seed=band)
        keys.append(value - (1 << 64) if value >= 1 << 63 else value)
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.count_nonzero(a == b)) / SIGNATURE_SIZE


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything dedupe needs to know about one text, computed once."""

    content_hash: str
    signature: np.ndarray
    bands: tuple[int, ...]
    shingles: int

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        tokens = words(text)
        hashes = shingle_hashes(tokens)
        signature = _signature(hashes)
        digest = hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()
        return cls(digest, signature, tuple(band_keys(signature)), int(hashes.size))


# --- lookup --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The stored article a new one duplicates, and why."""

    article_id: int
    reason: str  # "url" | "content" | "near"
    similarity: float = 1.0


def find_duplicate(
    session: Session,
    *,
    urls: list[str],
    fingerprint: Fingerprint,
    threshold: float = DUPLICATE_SIMILARITY,
) -> Duplicate | None:
    """The stored article this one duplicates: same URL, same text, or near-identical text."""
    exact = find_exact_duplicate(session, urls=urls, content_hash=fingerprint.content_hash)
    if exact is not None or fingerprint.shingles < MIN_NEAR_SHINGLES:
        return exact
    return find_near_duplicate(session, fingerprint, threshold=threshold)


def find_exact_duplicate(
    session: Session, *, urls: list[str], content_hash: str
) -> Duplicate | None:
    """A stored article known under one of ``urls`` or with the same text: one query."""
    row = session.execute(_EXACT, {"content_hash": content_hash, "urls": urls or [""]}).first()
    if row is None:
        return None
    return Duplicate(row.article_id, "url" if row.by_url else "content")


def find_near_duplicate(
    session: Session, fingerprint: Fingerprint, *, threshold: float = DUPLICATE_SIMILARITY
) -> Duplicate | None:
    """The most similar stored article sharing an LSH band, if similar enough."""
    best: Duplicate | None = None
    for article_id, stored in session.execute(_NEAR, {"bands": list(fingerprint.bands)}):
        if not stored:
            continue
        score = similarity(fingerprint.signature, signature_from_bytes(stored))
        if score >= threshold and (best is None or score > best.similarity):
            best = Duplicate(article_id, "near", score)
    return best


def _exact_statement() -> sa.Select[int, int]:
    article, article_url = Article.__table__, ArticleUrl.__table__
    urls: sa.BindParameter[str] = sa.bindparam("urls", expanding=True)
    union = sa.union_all(
        sa.select(article.c.id.label("article_id"), sa.literal_column("0").label("by_url")).where(
            article.c.content_hash == sa.bindparam("content_hash")
        ),
        sa.select(article_url.c.article_id, sa.literal_column("1")).where(
            article_url.c.url.in_(urls)
        ),
        sa.select(article.c.id, sa.literal_column("1")).where(article.c.canonical_url.in_(urls)),
    ).subquery()
    return sa.select(union.c.article_id, union.c.by_url).order_by(union.c.by_url.desc()).limit(1)


def _near_statement() -> sa.Select[int, bytes | None]:
    article, band = Article.__table__, ArticleBand.__table__
    shared = sa.func.count().label("shared")
    candidates = (
        sa.select(band.c.article_id, shared)
        .where(band.c.band.in_(sa.bindparam("bands", expanding=True)))
        .group_by(band.c.article_id)
        .order_by(shared.desc())
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    return sa.select(article.c.id, article.c.minhash).join(
        candidates, candidates.c.article_id == article.c.id
    )


# Built once: building and compiling a statement costs several times its execution.
_EXACT = _exact_statement()
_NEAR = _near_statement()


def store_bands(session: Session, article_id: int, fingerprint: Fingerprint) -> None:
    """Index a newly stored article's LSH bands (one Core executemany, no ORM objects)."""
    session.execute(
        _INSERT_BAND,
        [{"band": band, "article_id": article_id} for band in set(fingerprint.bands)],
    )


_INSERT_BAND = sa.insert(ArticleBand.__table__)


# --- event matching: how alike two reports of one ban are ------------------------------
# Used by monitor.events to score candidate events; pure functions of strings.

NETWORK_PREFIX = "network linked to "
_STOP = frozenset(
    ["the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "from", "by", "with", "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "its", "it", "their", "his", "her", "they", "he", "she", "this", "that", "these", "those", "after", "over", "into", "about", "than", "but", "not", "no", "says", "said", "say", "will", "would", "could", "can", "new", "more", "most", "also", "just", "who", "which", "what", "when", "while", "amid", "after", "before", "all", "some", "other", "one", "two", "three", "four", "five", "week", "weeks", "day", "days", "month", "year", "years", "says", "say", "per", "via", "out", "off", "up", "down", "against", "under",
     # days and months are capitalised but name no one
     "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
     "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"]
)  # fmt: skip


def fold(text: str) -> str:
    """Case-folded, with accents dropped: "Dieudonné" and "Dieudonne" are one name."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return _COMBINING.sub("", decomposed)


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold_key(key: str) -> str:
    """A target key in the form names are compared in: folded words, one space apart
    ("hkmap.live" -> "hkmap live", "Nicolás Maduro" -> "nicolas maduro")."""
    return " ".join(_WORD.findall(fold(key)))


@dataclass(frozen=True, slots=True)
class Mentions:
    """The folded words of a report's text, to find a name in it as whole words."""

    padded: str  # " w1 w2 ... wn "
    single: frozenset[str]
    capitalised: frozenset[str]  # words written with a capital somewhere in the text

    @classmethod
    def of(cls, text: str) -> Mentions:
        found = _WORD.findall(fold(text))
        capitals = frozenset(fold(w) for w in _WORD.findall(text) if w[0].isupper())
        return cls(f" {' '.join(found)} ", frozenset(found), capitals)

    def names(self, key: str) -> bool:
        """Whether the text names ``key`` (a folded key, ``fold_key``) as whole words,
        written as one word ("dr vortex" in "DrVortex"), or by its last word written as a
        name ("Trump" for "donald trump")."""
        if len(key) < 2:
            return False
        if key.startswith(NETWORK_PREFIX):  # an unnamed network: named by its origin
            origins = [w for w in name_tokens(key[len(NETWORK_PREFIX) :]) if len(w) > 3]
            return any(_one_stem(w, o) for o in origins for w in self.single)
        if f" {key} " in self.padded:
            return True
        if " " not in key:
            return False
        last = key.rsplit(" ", 1)[-1]
        return key.replace(" ", "") in self.single or (len(last) > 3 and last in self.capitalised)


def names_any(text: str, keys: list[str]) -> bool:
    """Whether ``text`` names any of the folded ``keys`` (``Mentions.names``). The words
    are split only when a key's letters occur in the folded text at all, which most
    texts fail (bench/dedupe.py: splitting every candidate's reports cost ~2 ms a lookup)."""
    folded = fold(text)
    likely = [k for k in keys if _may_name(folded, k)]
    return bool(likely) and any(map(Mentions.of(text).names, likely))


def _may_name(folded: str, key: str) -> bool:
    if key.startswith(NETWORK_PREFIX):
        origins = name_tokens(key[len(NETWORK_PREFIX) :])
        return any(o[:STEM] in folded for o in origins if len(o) > 3)
    return all(w in folded for w in key.split()) or key.rsplit(" ", 1)[-1] in folded


def name_tokens(key: str) -> list[str]:
    return [w for w in key.split() if w not in ("and",)]


def name_agreement(a: str, b: str) -> float:
    """How surely two target keys name one target: 1 the same key; 0.8 one name inside
    the other ("kestrel" / "kestrel media", "greene" / "marjorie taylor greene"), initials
    ("oann" / "one america news network") or networks sharing half their origins or more;
    0 when one is no name, or one is an unnamed network and the other a name (the network
    may be that person's or firm's: "accounts tied to Bolsonaro's aides" / "network linked
    to Brazil"); -1 two different names."""
    if not a or not b:
        return 0.0
    a, b = fold_key(a), fold_key(b)
    if a == b:
        return 1.0
    if a.startswith(NETWORK_PREFIX) or b.startswith(NETWORK_PREFIX):
        if not (a.startswith(NETWORK_PREFIX) and b.startswith(NETWORK_PREFIX)):
            network, word = (a, b) if a.startswith(NETWORK_PREFIX) else (b, a)
            origins = [o for o in name_tokens(network[len(NETWORK_PREFIX) :]) if len(o) > 3]
            # "moldovan" / "network linked to moldova": the network, by its origin
            if " " not in word and any(map(word.startswith, origins)):
                return 0.8
            return 0.0  # a network may be the named one's ("tied to Bolsonaro's aides")
        here = set(name_tokens(a[len(NETWORK_PREFIX) :]))
        there = set(name_tokens(b[len(NETWORK_PREFIX) :]))
        return 0.8 if len(here & there) * 2 >= min(len(here), len(there)) else -1.0
    x, y = a.split(), b.split()
    small, large = (x, y) if len(x) <= len(y) else (y, x)
    inside = all(any(_same_word(w, v) for v in large) for w in small)
    if inside and any(len(w) > 2 for w in small):
        return 0.8
    joined = "".join(small)
    initials = "".join(w[0] for w in large if w)
    if len(small) == 1 and len(joined) >= 2 and initials.startswith(joined):
        return 0.8
    if len(small) > 1 and _abbreviates(small, large):  # "ny post" / "new york post"
        return 0.8
    if "".join(x) == "".join(y):  # "zero hedge" / "zerohedge"
        return 1.0
    return -1.0


def _abbreviates(short: list[str], long: list[str]) -> bool:
    """Whether the words of ``short`` are those of ``long`` in order, some of them the
    initials of a run of two or more of its words ("ny post" / "new york post")."""
    if len(short) >= len(long):
        return False
    at = 0
    for word in short:
        if at < len(long) and word == long[at]:
            at += 1
            continue
        run = len(word)
        if run < 2 or "".join(w[0] for w in long[at : at + run]) != word:
            return False
        at += run
    return at == len(long)


# A word and its derivatives share this many first letters ("thai" / "thailand",
# "chin[a]" / "chin[ese]", "turk[ey]" / "turk[ish]").
STEM = 4


def _one_stem(word: str, origin: str) -> bool:
    """Whether ``word`` names the place ``origin`` or its people ("thai" for "thailand")."""
    if len(word) < STEM or word[:STEM] != origin[:STEM]:
        return False
    if word.startswith(origin) or origin.startswith(word):
        return True
    shared = next(i for i, (p, q) in enumerate(zip(word, origin, strict=False)) if p != q)
    return shared >= len(origin) - 2 and len(word) > len(origin)


def _same_word(a: str, b: str) -> bool:
    """One word of a name in two spellings: the same, or the same stem with an ending of
    at most two letters ("querdenken" / "querdenker", "moldova" / "moldovan")."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    stem = next(
        (i for i, (p, q) in enumerate(zip(a, b, strict=False)) if p != q), min(len(a), len(b))
    )
    return stem >= max(5, max(len(a), len(b)) - 2)


def text_terms(text: str) -> frozenset[str]:
    """The content words of a headline or sentence, folded, for ``text_similarity``."""
    return frozenset(weighted_terms(text))


# Names and numbers say which ban a story is about; the words around them say only that
# it is one. Measured on every pair of enforcement items of one platform in the coverage
# set, tests/data/devset.jsonl and devgroups.jsonl (174 pairs of one ban, 1,152 of two):
# the plain cosine of title and lead separated them worst (at 0.2: 137 of one ban above,
# 39 of two; at 0.25: 97 and 16); counting a word written with a capital inside a
# sentence, or holding a digit, twice gave 146 and 25 at 0.25 (three times: 153 and 49;
# four: 153 and 62). An IDF table did about as well (133 and 15 at 0.15) but needs word
# counts from somewhere: none ship with the project.
ENTITY_WEIGHT = 2.0
_SENTENCES = re.compile(r"[.!?:;\n]+")
# A handle, a hashtag or a subreddit names someone however it is written: "@elonjet",
# "r/incels".
_HANDLE = re.compile(r"(?:(?<![\w/])[@#]|\br/)(\w+)")


def weighted_terms(text: str) -> dict[str, float]:
    """The content words of a text (folded, without stop words), each with its weight:
    ``ENTITY_WEIGHT`` for a word that is capitalised inside a sentence (a name), a handle
    or subreddit, or holds a digit, 1 for the rest. A line written in title case marks no names."""
    text = unicodedata.normalize("NFKC", text)
    weights: dict[str, float] = {}
    for line in text.splitlines():
        handles = {fold(h) for h in _HANDLE.findall(line)}
        sentences = [_WORD.findall(s) for s in _SENTENCES.split(line)]
        found = [w for sentence in sentences for w in sentence]
        title_case = sum(1 for w in found if w[0].isupper()) * 2 > len(found) >= 4
        for sentence in sentences:
            for position, raw in enumerate(sentence):
                word = raw.casefold() if raw.isascii() else fold(raw)
                if len(word) <= 2 or word in _STOP:
                    continue
                name = position and not title_case and raw[0].isupper()
                if name or word in handles or (not raw.isalpha() and any(map(str.isdigit, raw))):
                    weights[word] = ENTITY_WEIGHT
                elif word not in weights:
                    weights[word] = 1.0
    return weights


def text_similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two weighted term sets (``weighted_terms``); one shared word is no
    evidence (0)."""
    shared = a.keys() & b.keys()
    if len(shared) < 2:
        return 0.0
    dot = sum(a[t] * b[t] for t in shared)
    norm = sum(w * w for w in a.values()) * sum(w * w for w in b.values())
    return dot / float(np.sqrt(norm))
