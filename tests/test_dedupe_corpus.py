"""Near-duplicate detection measured on real pages (../shared/corpus/articles).

* copies of one page with other clutter (in the text, or in the HTML before extraction)
  must collapse;
* pages of one story written up by different outlets (MANIFEST ``event`` column) must not;
* unrelated pages must not (the false-positive rate over every pair).

A pair "collapses" when it shares an LSH band and its estimated similarity reaches
``DUPLICATE_SIMILARITY`` (for a text of at least ``MIN_NEAR_SHINGLES``): exactly what
``find_duplicate`` checks in the database,
which the last test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import gzip
import html
import itertools
from dataclasses import dataclass

import pytest

from monitor import dedupe
from tests.clutter import HEADLINES, MENUS, with_clutter
from tests.conftest import CORPUS, need_shared

pytestmark = pytest.mark.slow

ARTICLES = CORPUS / "articles"


@dataclass(frozen=True)
class Page:
    name: str
    story: str
    raw_html: str
    text: str
    fingerprint: dedupe.Fingerprint


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    from monitor.extract import extract_document

    manifest = need_shared(ARTICLES / "MANIFEST.tsv")
    out = []
    with manifest.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = ARTICLES / row["file"]
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            url = row["article_url"] or f"https://corpus.example/{path.name}"
            doc = extract_document(data, url)
            raw = data.decode("utf-8", errors="replace")
            out.append(
                Page(path.name, row["event"], raw, doc.text, dedupe.Fingerprint.of(doc.text))
            )
    assert len(out) >= 50
    return out


def collapses(a: dedupe.Fingerprint, b: dedupe.Fingerprint) -> bool:
    """Would ``b``, arriving after ``a`` was stored, be found as its near-duplicate?"""
    if b.shingles < dedupe.MIN_NEAR_SHINGLES:
        return False
    return bool(set(a.bands) & set(b.bands)) and (
        dedupe.similarity(a.signature, b.signature) >= dedupe.DUPLICATE_SIMILARITY
    )


def test_copies_with_other_clutter_collapse(pages: list[Page]) -> None:
    misses = []
    for page in pages:
        for seed in (1, 2, 3):
            a = dedupe.Fingerprint.of(with_clutter(page.text, seed))
            b = dedupe.Fingerprint.of(with_clutter(page.text, seed + 100))
            if not collapses(a, b):
                misses.append((page.name, seed))
    rate = len(misses) / (3 * len(pages))
    print(f"clutter copies missed: {len(misses)}/{3 * len(pages)} ({rate:.1%})")
    assert rate <= 0.01, misses


def test_html_copies_with_other_menus_and_sidebars_collapse(pages: list[Page]) -> None:
    from monitor.extract import extract_document

    misses = []
    for index, page in enumerate(pages):
        copy = extract_document(_recluttered_html(page.raw_html, index), "https://mirror.example/a")
        if not collapses(page.fingerprint, dedupe.Fingerprint.of(copy.text)):
            misses.append(page.name)
    print(f"HTML clutter copies missed: {len(misses)}/{len(pages)}")
    assert len(misses) <= 0.03 * len(pages), misses


def test_same_story_from_different_outlets_is_not_a_duplicate(pages: list[Page]) -> None:
    pairs = [(a, b) for a, b in itertools.combinations(pages, 2) if a.story and a.story == b.story]
    assert len(pairs) == 11
    collapsed = [(a.name, b.name) for a, b in pairs if collapses(a.fingerprint, b.fingerprint)]
    top = max(dedupe.similarity(a.fingerprint.signature, b.fingerprint.signature) for a, b in pairs)
    print(f"same-story pairs collapsed: {len(collapsed)}/{len(pairs)}, top similarity {top:.2f}")
    assert collapsed == []


def test_false_positive_rate_on_unrelated_pairs(pages: list[Page]) -> None:
    pairs = [
        (a, b) for a, b in itertools.combinations(pages, 2) if not (a.story and a.story == b.story)
    ]
    collapsed = [(a.name, b.name) for a, b in pairs if collapses(a.fingerprint, b.fingerprint)]
    print(f"unrelated pairs collapsed: {len(collapsed)}/{len(pairs)}")
    assert len(pairs) > 1400
    assert collapsed == []


def test_database_lookup_finds_the_copy_and_nothing_else(pages: list[Page], db_url: str) -> None:
    from monitor.db import open_database, session_scope
    from monitor.models import Article

    engine = open_database(db_url)
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for page in pages:
            article = Article(
                url=f"https://corpus.example/{page.name}",
                canonical_url=f"https://corpus.example/{page.name}",
                title=page.name,
                text=page.text,
                content_hash=page.fingerprint.content_hash,
                minhash=dedupe.signature_bytes(page.fingerprint.signature),
            )
            session.add(article)
            session.flush()
            dedupe.store_bands(session, article.id, page.fingerprint)
            ids[page.name] = article.id
    with session_scope(engine) as session:
        found = 0
        for page in pages:
            copy = dedupe.Fingerprint.of(with_clutter(page.text, 7))
            match = dedupe.find_duplicate(
                session, urls=["https://other.example/x"], fingerprint=copy
            )
            found += match is not None and match.article_id == ids[page.name]
            assert match is None or match.article_id == ids[page.name]
        assert found >= 0.97 * len(pages)
        exact = dedupe.find_duplicate(session, urls=[], fingerprint=pages[0].fingerprint)
        assert exact == dedupe.Duplicate(ids[pages[0].name], "content")
        by_url = dedupe.find_duplicate(
            session,
            urls=[f"https://corpus.example/{pages[1].name}"],
            fingerprint=pages[0].fingerprint,
        )
        assert by_url == dedupe.Duplicate(ids[pages[1].name], "url")
    engine.dispose()


def _recluttered_html(raw: str, seed: int) -> str:
    """The page with another site's navigation bar and headline sidebar added."""
    menu = "".join(f'<li><a href="/s/{i}">{html.escape(m)}</a></li>' for i, m in enumerate(MENUS))
    side = "".join(
        f'<li><a href="/n/{seed}/{i}">{html.escape(h)}</a></li>'
        for i, h in enumerate(HEADLINES[seed % 5 :])
    )
    block = f"<nav><ul>{menu}</ul></nav><aside><h3>Most read</h3><ul>{side}</ul></aside>"
    lower = raw.lower()
    at = lower.find("<body")
    at = lower.find(">", at) + 1 if at >= 0 else 0
    tail = lower.rfind("</body>")
    tail = tail if tail >= 0 else len(raw)
    return raw[:at] + block + raw[at:tail] + block.replace("<nav>", "<footer>") + raw[tail:]
