"""Classifier speed per core on ~5 KB articles, beside trafilatura's extraction of the
same articles and a naive loop of regexes over the same phrases, all in one run.

    .venv/bin/python bench/classify.py             # 5 rounds, median
    .venv/bin/python bench/classify.py --rounds 9

Articles: the HTML pages of ../shared/corpus/articles (skipped, with a message, when the
folder is absent). Each page is extracted with ``monitor.extract.extract_document``, the
pipeline's own call (trafilatura, fast mode); its text is repeated or cut to 5,000
characters, so every article the classifier sees is ~5 KB. A second set, "ban-dense", is
built from the dev set's enforcement stories (every sentence a candidate), the classifier's
worst case.

Printed, single thread (so per core), median of the rounds:
* extraction pages/s (trafilatura through extract_document),
* classification articles/s (``monitor.classify.classify``: one Aho-Corasick pass plus
  the sentence rules),
* the classification share of extraction time (classification ms / extraction ms),
* the naive baseline: one compiled regex per lexicon phrase, run in a loop over each
  article (matching only, no rules), and the automaton's matching alone on the same texts.
Target (issue 5): >= 2,000 articles/s per core, under 10% of extraction.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from monitor.classify import classify, load_lexicon  # noqa: E402
from monitor.classify.matcher import find_hits  # noqa: E402
from monitor.classify.text import build_document  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
DEVSET = ROOT / "tests" / "data" / "devset.jsonl"
SIZE = 5_000


def pages() -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(CORPUS.rglob("*.html*")):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        found.append((f"https://corpus.invalid/{path.name}", data))
    return found


def to_size(text: str) -> str:
    if not text:
        return text
    repeats = SIZE // (len(text) + 1) + 1
    return ((text + "\n") * repeats)[:SIZE]


def timed(fn: Callable[[], object], rounds: int) -> float:
    """Median seconds of ``rounds`` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_patterns() -> list[re.Pattern[str]]:
    """One regex per lexicon phrase, as a straightforward implementation would write it."""
    lexicon = load_lexicon()
    phrases: set[str] = set()
    for aliases in (*lexicon.platforms.values(), *lexicon.targets.values()):
        phrases.update(aliases)
    for forms in lexicon.actions.values():
        for words in forms.values():
            phrases.update(words)
    for words in (*lexicon.objects.values(), *lexicon.cues.values()):
        phrases.update(words)
    return [re.compile(r"\b" + re.escape(p) + r"\b", re.IGNORECASE) for p in sorted(phrases)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the shared corpus sits beside the repo)")
        return 0

    from monitor.errors import ParseError
    from monitor.extract import extract_document

    html = pages()
    docs = []
    for url, data in html:
        try:
            docs.append(extract_document(data, url))
        except ParseError:
            continue
    articles = [(d.title, to_size(d.text)) for d in docs if d.text]
    dense = []
    if DEVSET.exists():
        stories = [json.loads(line) for line in DEVSET.open(encoding="utf-8")]
        body = "\n".join(s["text"] for s in stories if s["label"] == "enforcement")
        dense = [("", body[i : i + SIZE]) for i in range(0, len(body) - SIZE, SIZE)]
    lexicon = load_lexicon()
    patterns = naive_patterns()

    def extract_all() -> None:
        for url, data in html:
            with contextlib.suppress(ParseError):
                extract_document(data, url)

    def classify_all(items: list[tuple[str, str]]) -> Callable[[], None]:
        return lambda: [classify(t, x, lexicon) for t, x in items]  # type: ignore[func-returns-value]

    def match_all(items: list[tuple[str, str]]) -> Callable[[], None]:
        return lambda: [find_hits(lexicon, build_document(t, x)[0]) for t, x in items]  # type: ignore[func-returns-value]

    def naive_all(items: list[tuple[str, str]]) -> Callable[[], None]:
        def run() -> None:
            for title, text in items:
                doc = title + "\n\n" + text
                for pattern in patterns:
                    for _ in pattern.finditer(doc):
                        pass

        return run

    rounds = args.rounds
    extraction = timed(extract_all, rounds) / len(html)
    per_article = timed(classify_all(articles), rounds) / len(articles)
    per_dense = timed(classify_all(dense), rounds) / len(dense) if dense else float("nan")
    matching = timed(match_all(articles), rounds) / len(articles)
    naive_sample = articles[: max(5, len(articles) // 4)]
    naive = timed(naive_all(naive_sample), max(1, rounds // 2)) / len(naive_sample)

    print(f"corpus: {len(html)} pages ({len(articles)} with text), texts cut/repeated to {SIZE} chars;"
          f" ban-dense set: {len(dense)} texts; {len(patterns)} lexicon phrases; median of {rounds}")  # fmt: skip
    print(f"{'':44}{'ms/article':>12}{'articles/s':>12}")
    rows = [
        ("trafilatura extraction (extract_document)", extraction),
        ("classify, corpus articles", per_article),
        ("classify, ban-dense articles", per_dense),
        ("  matching alone (one Aho-Corasick pass)", matching),
        ("  naive baseline: loop of regexes", naive),
    ]
    for name, seconds in rows:
        print(f"{name:44}{seconds * 1000:>12.3f}{1 / seconds:>12,.0f}")
    print(f"classification share of extraction time: {per_article / extraction:.1%}"
          f" (ban-dense: {per_dense / extraction:.1%})")  # fmt: skip
    print(f"speed-up of the automaton over the regex loop (matching): {naive / matching:,.0f}x;"
          f" full classifier over the regex loop: {naive / per_article:,.0f}x")  # fmt: skip
    target = "met" if 1 / per_article >= 2000 else "NOT met"
    print(f"target >= 2,000 articles/s per core: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
