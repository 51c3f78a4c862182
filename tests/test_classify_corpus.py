"""The shared corpus of real news pages (../shared/corpus/articles) holds no platform ban:
extracted as the pipeline does, none of its pages may yield a verdict. Its MANIFEST names
the platform look-alikes among them (the Tories' renamed Twitter account, Instagram hiding
likes, a salon chain that "bans men")."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from monitor.classify import classify, load_lexicon
from monitor.errors import ParseError
from monitor.extract import extract_document

ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"


def corpus_pages() -> list[Path]:
    return sorted(ARTICLES.rglob("*.html*")) if ARTICLES.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not ARTICLES.is_dir(), reason=f"{ARTICLES} is absent")
def test_no_page_of_the_news_corpus_is_flagged() -> None:
    lexicon = load_lexicon()
    flagged, read = [], 0
    for path in corpus_pages():
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        try:
            doc = extract_document(data, f"https://corpus.invalid/{path.name}")
        except ParseError:
            continue
        read += 1
        verdicts = classify(doc.title, doc.text, lexicon)
        flagged += [(path.name, v.platform, v.action, v.target, v.evidence) for v in verdicts]
    assert read >= 40
    assert flagged == []
