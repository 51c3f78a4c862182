"""Pure dedupe keys: canonical URLs, content hashes, MinHash signatures and bands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import dedupe
from tests.clutter import with_clutter

ARTICLE = """Twitter has banned ads from all accounts owned by Russia Today (RT) and Sputnik
following the social media giant's probe into alleged Russian interference in the election.
The decision was based on the retrospective work the company has been doing around the 2016
election and the intelligence community's conclusion that both outlets attempted to interfere.
Twitter said it will donate the money it earned from the two outlets to research on civic
engagement and electoral misinformation, an estimated 1.9 million dollars since 2011.
RT slammed the move and called the allegations of election interference absolutely groundless."""

OTHER = """The city council approved a new budget on Tuesday that sets aside money for parks,
roads and a new library branch in the north of the city. The mayor said the plan would be
paid for without raising property taxes, though critics on the council warned that the
revenue forecasts behind it were optimistic and that cuts could follow next year."""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # tracking parameters, fragments, default ports, case
        ("https://www.Example.com:443/news/story/?utm_source=x&id=3#top", "https://example.com/news/story?id=3"),
        ("http://example.com:80/a/?fbclid=1&gclid=2", "https://example.com/a"),
        ("https://example.com/a?utm_medium=rss&utm_campaign=b&ocid=1&smid=tw", "https://example.com/a"),
        ("https://example.com/a?ref=rss&mc_cid=1&mc_eid=2&igshid=3", "https://example.com/a"),
        ("https://example.com/a?p=1#comments", "https://example.com/a?p=1"),
        ("http://example.com:8080/x/", "https://example.com:8080/x"),
        # meaningful parameters stay, sorted
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/story?id=5&page=2", "https://example.com/story?id=5&page=2"),
        # AMP and mobile variants
        ("https://amp.theguardian.com/world/2017/oct/26/x", "https://theguardian.com/world/2017/oct/26/x"),
        ("https://www.theguardian.com/world/2017/oct/26/x/amp", "https://theguardian.com/world/2017/oct/26/x"),
        ("https://example.com/amp/a/b", "https://example.com/a/b"),
        ("https://example.com/a.amp.html", "https://example.com/a"),
        ("https://example.com/a?outputType=amp", "https://example.com/a"),
        ("https://example.com/a?amp=1", "https://example.com/a"),
        ("https://m.bbc.co.uk/news/1", "https://bbc.co.uk/news/1"),
        ("https://mobile.example.com/a/", "https://example.com/a"),
        ("https://www-bbc-com.cdn.ampproject.org/c/s/www.bbc.com/news/world-1", "https://bbc.com/news/world-1"),
        ("https://www.google.com/amp/s/www.bbc.com/news/world-1.amp", "https://bbc.com/news/world-1"),
        # trailing and doubled slashes; a bare host keeps its root
        ("https://example.com/a//b/", "https://example.com/a/b"),
        ("https://example.com", "https://example.com/"),
        # a two-label host keeps its m./www.-looking name
        ("https://m.co/x", "https://m.co/x"),
    ],
)  # fmt: skip
def test_canonical_url(url: str, expected: str) -> None:
    assert dedupe.canonical_url(url) == expected


_LABELS = st.sampled_from(
    ["www", "m", "amp", "mobile", "news", "example", "bbc", "co", "uk", "com"]
)
_SEGMENTS = st.sampled_from(["", "amp", "AMP", "a", "story", "x.amp", "x.amp.html", "index.html"])
_PARAMS = st.sampled_from(["amp=1", "id=7", "utm_source=rss", "outputType=amp", "p=2", "ref=x"])


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.lists(_LABELS, min_size=1, max_size=5).map(".".join),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=st.lists(_SEGMENTS, max_size=5).map("/".join),
    slash=st.booleans(),
    query=st.lists(_PARAMS, max_size=3).map("&".join),
)
@settings(max_examples=300, deadline=None)
def test_a_canonical_url_is_its_own_canonical_url(
    scheme: str, host: str, port: str, path: str, slash: bool, query: str
) -> None:
    """Stored keys are compared with keys made later, and an outlet is read off a stored
    key without cleaning it again: both need canonical_url to be idempotent (nested
    prefixes like www.m. and AMP markers like /amp/x.amp/ once needed a second pass)."""
    url = f"{scheme}://{host}{port}/{path}{'/' if slash else ''}" + (f"?{query}" if query else "")
    key = dedupe.canonical_url(url)
    assert dedupe.canonical_url(key) == key
    assert dedupe.outlet_of_key(key) == dedupe.outlet_of(url)


def test_canonical_url_keeps_different_articles_apart() -> None:
    assert dedupe.canonical_url("https://e.com/story?id=1") != dedupe.canonical_url(
        "https://e.com/story?id=2"
    )
    assert dedupe.canonical_url("https://e.com/a/1") != dedupe.canonical_url("https://e.com/a/2")


@pytest.mark.parametrize(
    ("page", "rel", "expected"),
    [
        ("https://e.com/a/b", "https://e.com/a/b?x=1", "https://e.com/a/b?x=1"),
        ("https://partner.com/a/b", "https://wire.com/story/1", "https://wire.com/story/1"),
        ("https://e.com/a/b", "https://e.com/", None),  # every page "canonical" to the home page
        ("https://e.com/", "https://e.com/", "https://e.com/"),
        ("https://e.com/a", "/relative", None),
        ("https://e.com/a", None, None),
    ],
)
def test_usable_rel_canonical(page: str, rel: str | None, expected: str | None) -> None:
    assert dedupe.usable_rel_canonical(page, rel) == expected


def test_outlet_of_drops_www_and_mobile_prefixes() -> None:
    assert dedupe.outlet_of("https://www.foxnews.com/tech/x") == "foxnews.com"
    assert dedupe.outlet_of("https://m.bbc.co.uk/news/1") == "bbc.co.uk"


def test_content_hash_ignores_markup_spacing_and_case_but_not_words() -> None:
    base = dedupe.content_hash("Twitter bans RT.\n\nAds  are gone!")
    assert dedupe.content_hash("twitter BANS rt ads are gone") == base
    assert (
        dedupe.content_hash("<p>Twitter bans RT.</p> <p>Ads are gone!</p>") != base
    )  # tags are words
    assert dedupe.content_hash("Twitter bans Sputnik. Ads are gone!") != base
    assert len(base) == 64


def test_minhash_is_deterministic_and_sized() -> None:
    a = dedupe.minhash(ARTICLE)
    assert a.dtype == np.uint32 and a.shape == (dedupe.SIGNATURE_SIZE,)
    assert np.array_equal(a, dedupe.minhash(ARTICLE))
    assert np.array_equal(dedupe.signature_from_bytes(dedupe.signature_bytes(a)), a)
    assert len(dedupe.band_keys(a)) == dedupe.BANDS
    assert all(-(1 << 63) <= k < (1 << 63) for k in dedupe.band_keys(a))


@pytest.mark.parametrize("size", [1, 127, 128, 129, 700])
def test_signature_is_the_min_of_each_permutation_whatever_the_block_size(size: int) -> None:
    """Stored signatures must stay comparable: the blocked numpy computation gives what the
    definition gives, computed here value by value with Python integers."""
    hashes = np.random.default_rng(size).integers(0, 2**64, size=size, dtype=np.uint64)
    expected = [
        min(((int(a) * int(h) + int(b)) % 2**64) >> 32 for h in hashes)
        for a, b in zip(dedupe._MUL, dedupe._ADD, strict=True)
    ]
    assert dedupe._signature(hashes).tolist() == expected


def test_similarity_separates_copies_from_other_texts() -> None:
    original = dedupe.minhash(ARTICLE)
    assert dedupe.similarity(original, dedupe.minhash(ARTICLE.upper())) == 1.0
    cluttered = dedupe.minhash(with_clutter(ARTICLE, seed=1))
    assert dedupe.similarity(original, cluttered) >= dedupe.DUPLICATE_SIMILARITY
    assert set(dedupe.band_keys(original)) & set(dedupe.band_keys(cluttered))
    unrelated = dedupe.minhash(OTHER)
    assert dedupe.similarity(original, unrelated) < 0.1
    assert not set(dedupe.band_keys(original)) & set(dedupe.band_keys(unrelated))


def test_minhash_estimates_jaccard_within_sampling_error() -> None:
    """A text sharing about half its shingles with another scores about one half."""
    words = ARTICLE.split()
    half = " ".join(words[: len(words) // 2] + OTHER.split())
    exact = _jaccard(ARTICLE, half)
    estimate = dedupe.similarity(dedupe.minhash(ARTICLE), dedupe.minhash(half))
    assert abs(estimate - exact) < 0.2, (estimate, exact)


def test_empty_and_tiny_texts_have_signatures() -> None:
    assert dedupe.minhash("").shape == (dedupe.SIGNATURE_SIZE,)
    assert dedupe.similarity(dedupe.minhash("RT banned"), dedupe.minhash("rt BANNED")) == 1.0


def _jaccard(a: str, b: str) -> float:
    x = set(dedupe.shingle_hashes(a).tolist())
    y = set(dedupe.shingle_hashes(b).tolist())
    return len(x & y) / len(x | y)


def test_short_briefs_from_one_template_are_not_near_duplicates(sqlite_url: str) -> None:
    from monitor.db import open_database, session_scope
    from monitor.models import Article

    rt = "Twitter has banned ads from RT, the company said on Thursday in a short statement."
    sputnik = rt.replace("RT", "Sputnik")
    a, b = dedupe.Fingerprint.of(rt), dedupe.Fingerprint.of(sputnik)
    assert dedupe.similarity(a.signature, b.signature) >= dedupe.DUPLICATE_SIMILARITY
    assert b.shingles < dedupe.MIN_NEAR_SHINGLES
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        article = Article(url="https://e.com/1", canonical_url="https://e.com/1", text=rt,
                          content_hash=a.content_hash, minhash=dedupe.signature_bytes(a.signature))  # fmt: skip
        session.add(article)
        session.flush()
        dedupe.store_bands(session, article.id, a)
        assert dedupe.find_duplicate(session, urls=["https://e.com/2"], fingerprint=b) is None
        same = dedupe.find_duplicate(session, urls=["https://e.com/2"], fingerprint=a)
        assert same == dedupe.Duplicate(article.id, "content")
    engine.dispose()
