"""Cost per article of the duplicate and event lookup, at 10,000 vs 1,000,000 stored articles.

    .venv/bin/python bench/dedupe.py            # 10k and 1M, SQLite and PostgreSQL
    .venv/bin/python bench/dedupe.py --quick    # 10k and 100k
    .venv/bin/python bench/dedupe.py --sizes 10000,300000 --backends sqlite

For each backend and size a fresh database is migrated with Alembic and bulk-loaded with
batched Core inserts: articles with their URL, content hash, MinHash signature and 20 LSH
band keys, and one event (with its target, linked to its articles) per 20 articles. The
first ``--real`` articles are generated news-like texts with real fingerprints; the rest
get random fingerprints, which is what unrelated texts look like to the band index. Then
``--lookups`` new generated articles, a fifth of them re-cluttered copies of stored ones,
go through exactly what ingest does before storing: ``dedupe.find_duplicate`` (URL,
content hash, LSH bands) and ``events.match_event`` for two verdicts, then
``events.score_candidates`` and ``best_candidate`` (the scored candidate events) where the
exact match finds none. The lookup must stay flat: at most 2x from the smallest to the
largest size. The baseline, measured in the same run, is the in-process fingerprint
(MinHash of the text) each lookup needs anyway.

Memory: the near-duplicate index lives in the database (article_band), so the process holds
no index; the run shows it with tracemalloc's peak over the lookups at each size, and
prints the database's own bytes per million articles for the band table.

PostgreSQL comes from ``--postgres-url`` or ``BANWATCH_TEST_POSTGRES_URL`` (a server URL;
a scratch database is created and dropped); without one, PostgreSQL is skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import dedupe, events
from monitor.db import open_database
from monitor.models import Article, ArticleBand, ArticleUrl, Event, EventArticle, EventTarget

BATCH = 20_000
ARTICLES_PER_EVENT = 20
WINDOW = timedelta(days=14)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PLATFORMS = ["Twitter", "Meta", "YouTube", "TikTok", "Telegram", "Reddit", "Apple", "Google"]
ACTIONS = ["ad_ban", "suspension", "ban", "removal", "network_takedown", "demonetisation"]
COMMON = str.split(
    "the of and to in a is that for on was with he it as at by said from his an be has have "
    "are but not they this were had been their which its who will would more after also new "
    "one two year years people first over about than when there up out into government last "
    "could told week state some company other all what officials report according statement "
    "social media platform accounts users network content policy ban banned removed suspended "
    "election campaign law court million percent president minister country city police"
)


# --- generated texts -------------------------------------------------------------------


class TextMaker:
    """News-like texts: Zipf-distributed common words mixed with rarer names and terms."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        rare = [self._word() for _ in range(20_000)]
        self.vocab = COMMON + rare
        weights = 1.0 / np.arange(1, len(self.vocab) + 1) ** 1.05
        self.cum = np.cumsum(weights / weights.sum())
        self.np = np.random.default_rng(seed)

    def _word(self) -> str:
        letters = "abcdefghijklmnopqrstuvwxyz"
        return "".join(self.rng.choice(letters) for _ in range(self.rng.randint(4, 10)))

    def article(self, words: int = 700) -> str:
        picks = np.searchsorted(self.cum, self.np.random(words))
        tokens = [self.vocab[min(i, len(self.vocab) - 1)] for i in picks]
        paragraphs, at = [], 0
        while at < len(tokens):
            size = self.rng.randint(40, 90)
            paragraphs.append(" ".join(tokens[at : at + size]).capitalize() + ".")
            at += size
        return "\n".join(paragraphs)

    def cluttered(self, text: str) -> str:
        menu = ["World", "Business", "Opinion", "Sport", "Video", "Subscribe"]
        side = [self.article(12) for _ in range(3)]
        return "\n".join([*self.rng.sample(menu, 4), text, "Most read", *side, "Advertisement"])


# --- bulk load -------------------------------------------------------------------------


def bulk_load(engine: sa.Engine, size: int, real: int, maker: TextMaker) -> list[str]:
    """Fill an empty, migrated database with ``size`` articles; returns the real texts."""
    rng = np.random.default_rng(size)
    texts: list[str] = []
    band_index = "ix_article_band_article_id"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX {band_index}")
    for start in range(0, size, BATCH):
        stop = min(size, start + BATCH)
        ids = np.arange(start + 1, stop + 1)
        articles, urls, bands = [], [], []
        randoms = rng.integers(
            0, 2**32, size=(stop - start, dedupe.SIGNATURE_SIZE), dtype=np.uint32
        )
        random_bands = rng.integers(-(2**63), 2**63 - 1, size=(stop - start, dedupe.BANDS))
        for offset, article_id in enumerate(ids.tolist()):
            if article_id <= real:
                text = maker.article()
                texts.append(text)
                fp = dedupe.Fingerprint.of(text)
                chash, signature, keys = fp.content_hash, fp.signature, fp.bands
            else:
                text = f"generated article {article_id}"
                chash = f"{article_id:064x}"
                signature, keys = randoms[offset], tuple(random_bands[offset].tolist())
            url = f"https://outlet{article_id % 500}.example/news/{article_id}"
            articles.append(
                {
                    "id": article_id,
                    "url": url,
                    "canonical_url": url,
                    "outlet": f"outlet{article_id % 500}.example",
                    "content_hash": chash,
                    "minhash": dedupe.signature_bytes(signature),
                    "title": f"story {article_id}",
                    "text": text,
                    "published_at": T0 + timedelta(minutes=article_id),
                    "fetched_at": T0 + timedelta(minutes=article_id),
                }
            )
            urls.append({"article_id": article_id, "url": url, "outlet": articles[-1]["outlet"]})
            bands.extend((key, article_id) for key in set(keys))
        with engine.begin() as conn:
            conn.execute(sa.insert(Article), articles)
            conn.execute(sa.insert(ArticleUrl), urls)
            _insert_bands(conn, bands)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE INDEX {band_index} ON article_band (article_id)")
        _load_events(conn, size)
        conn.exec_driver_sql("ANALYZE")
    return texts


def _insert_bands(conn: sa.Connection, rows: list[tuple[int, int]]) -> None:
    if conn.dialect.name == "postgresql":
        # One statement per batch: arrays unnested server-side.
        bands, ids = zip(*rows, strict=True)
        conn.execute(
            sa.text(
                "INSERT INTO article_band (band, article_id) "
                "SELECT * FROM unnest(CAST(:bands AS bigint[]), CAST(:ids AS integer[]))"
            ),
            {"bands": list(bands), "ids": list(ids)},
        )
    else:
        conn.execute(sa.insert(ArticleBand), [{"band": b, "article_id": a} for b, a in rows])


def _load_events(conn: sa.Connection, size: int) -> None:
    """One event per ``ARTICLES_PER_EVENT`` articles, each linked to its articles (the
    scored candidates read the headline and lead of their first reports)."""
    rng = random.Random(size)
    rows, targets, links = [], [], []
    for event_id in range(1, size // ARTICLES_PER_EVENT + 1):
        platform, action = rng.choice(PLATFORMS), rng.choice(ACTIONS)
        key = f"target {rng.randrange(size // 10 + 1)}"
        seen = T0 + timedelta(minutes=event_id * ARTICLES_PER_EVENT)
        rows.append(
            {
                "id": event_id,
                "platform": platform,
                "action": action,
                "target": key,
                "target_key": key,
                "status": "active",
                "first_seen_at": seen,
                "last_seen_at": seen + timedelta(days=1),
                "article_count": 1,
                "outlet_count": 1,
                "headline": f"{platform} {action} {key}",
                "score": 0.8,
                "evidence": "",
                "created_at": seen,
                "updated_at": seen,
            }
        )
        targets.append(
            {"event_id": event_id, "target_key": key, "target": key, "platform": platform,
             "action": action, "position": 0}
        )  # fmt: skip
        first = (event_id - 1) * ARTICLES_PER_EVENT + 1
        links.extend(
            {"event_id": event_id, "article_id": a, "added_at": seen}
            for a in range(first, first + ARTICLES_PER_EVENT)
        )
        if len(rows) == BATCH:
            _insert_events(conn, rows, targets, links)
            rows, targets, links = [], [], []
    if rows:
        _insert_events(conn, rows, targets, links)


def _insert_events(
    conn: sa.Connection,
    rows: list[dict[str, object]],
    targets: list[dict[str, object]],
    links: list[dict[str, object]],
) -> None:
    conn.execute(sa.insert(Event), rows)
    conn.execute(sa.insert(EventTarget), targets)
    conn.execute(sa.insert(EventArticle), links)


# --- measurement -----------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    size: int
    load_s: float
    lookup_us: list[float]
    fingerprint_us: list[float]
    found: int
    expected: int
    peak_kib: float
    band_bytes: int | None

    @property
    def median(self) -> float:
        return statistics.median(self.lookup_us)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.lookup_us, n=20)[-1]


def measure(
    engine: sa.Engine, size: int, texts: list[str], lookups: int, maker: TextMaker
) -> Result:
    rng = random.Random(7)
    probes: list[tuple[str, bool]] = []
    for i in range(lookups):
        if texts and i % 5 == 0:
            probes.append((maker.cluttered(rng.choice(texts)), True))
        else:
            probes.append((maker.article(), False))
    lookup_us, fingerprint_us, found, expected = [], [], 0, 0
    with Session(engine) as session:
        for n, (text, is_copy) in enumerate(probes):
            fingerprint_s, lookup_s, duplicate = _lookup(session, n, text, rng, size)
            fingerprint_us.append(fingerprint_s * 1e6)
            lookup_us.append(lookup_s * 1e6)
            expected += is_copy
            found += is_copy and duplicate is not None and duplicate.reason == "near"
        # Memory over a further pass (tracemalloc slows Python, so it is not timed).
        tracemalloc.start()
        for n, (text, _) in enumerate(probes[:200]):
            _lookup(session, lookups + n, text, rng, size)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Result(engine.dialect.name, size, 0.0, lookup_us[10:], fingerprint_us[10:], found,
                  expected, peak / 1024, _band_bytes(engine))  # fmt: skip


def _lookup(
    session: Session, n: int, text: str, rng: random.Random, size: int
) -> tuple[float, float, dedupe.Duplicate | None]:
    """What ingest does before storing one article: fingerprint, duplicate lookup, and
    the event lookup of two verdicts. Returns (fingerprint s, lookup s, duplicate)."""
    t0 = time.perf_counter()
    fingerprint = dedupe.Fingerprint.of(text)
    t1 = time.perf_counter()
    url = f"https://probe.example/news/{n}?utm_source=rss"
    duplicate = dedupe.find_duplicate(
        session, urls=[dedupe.canonical_url(url)], fingerprint=fingerprint
    )
    seen = T0 + timedelta(minutes=rng.randrange(size))
    for _ in range(2):
        platform, action = rng.choice(PLATFORMS), rng.choice(ACTIONS)
        key = f"target {rng.randrange(size // 10 + 1)}"
        found = events.match_event(
            session, platform=platform, action=action, target_key=key, seen_at=seen, window=WINDOW
        )
        if found is None:  # no exact match: the scored candidates, as ingest does
            scores = events.score_candidates(
                session,
                platform=platform,
                action=action,
                target_keys=[key],
                text=text[:300],
                scale=None,
                seen_at=seen,
                window=WINDOW,
            )
            events.best_candidate(session, scores)
    return t1 - t0, time.perf_counter() - t1, duplicate


def _band_bytes(engine: sa.Engine) -> int | None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.scalar(sa.text("SELECT pg_total_relation_size('article_band')"))
        try:
            return conn.scalar(
                sa.text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%article_band%'")
            )
        except sa.exc.OperationalError:  # SQLite built without dbstat
            return None


# --- databases -------------------------------------------------------------------------


@contextmanager
def database(backend: str, postgres_url: str | None) -> Iterator[sa.Engine]:
    """A fresh, migrated, empty database of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="banwatch-bench-") as folder:
            engine = open_database(f"sqlite:///{folder}/bench.db")
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    base = sa.engine.make_url(postgres_url or "").set(drivername="postgresql+psycopg")
    name = f"banwatch_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = None
    try:
        engine = open_database(base.set(database=name).render_as_string(hide_password=False))
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run(backend: str, size: int, args: argparse.Namespace) -> Result:
    maker = TextMaker(seed=size)
    with database(backend, args.postgres_url) as engine:
        started = time.perf_counter()
        texts = bulk_load(engine, size, min(size, args.real), maker)
        load_s = time.perf_counter() - started
        result = measure(engine, size, texts, args.lookups, maker)
        result.load_s = load_s
        return result


def report(results: list[Result]) -> bool:
    print()
    print(f"{'backend':10} {'articles':>10} {'load s':>8} {'lookup us (median)':>19} "
          f"{'p95':>8} {'fingerprint us':>15} {'copies found':>13} {'tracemalloc peak':>17} "
          f"{'band table / 1M':>16}")  # fmt: skip
    for r in results:
        per_million = f"{r.band_bytes / r.size * 1e6 / 2**20:,.0f} MiB" if r.band_bytes else "n/a"
        print(f"{r.backend:10} {r.size:>10,} {r.load_s:>8.1f} {r.median:>19,.0f} {r.p95:>8,.0f} "
              f"{statistics.median(r.fingerprint_us):>15,.0f} {r.found:>6}/{r.expected:<6} "
              f"{r.peak_kib:>13,.0f} KiB {per_million:>16}")  # fmt: skip
    flat = True
    for backend in sorted({r.backend for r in results}):
        rows = sorted((r for r in results if r.backend == backend), key=lambda r: r.size)
        if len(rows) < 2:
            continue
        ratio = rows[-1].median / rows[0].median
        ok = ratio <= 2.0
        flat &= ok
        print(f"{backend}: lookup at {rows[-1].size:,} is {ratio:.2f}x the lookup at "
              f"{rows[0].size:,} ({'flat' if ok else 'NOT FLAT'}: limit 2x); in-process index: "
              f"none (bands live in the database), tracemalloc peak "
              f"{rows[0].peak_kib:,.0f} -> {rows[-1].peak_kib:,.0f} KiB")  # fmt: skip
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k instead of 10k and 1M")
    parser.add_argument("--sizes", help="comma-separated article counts (overrides --quick)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--real", type=int, default=10_000, help="articles with real texts")
    parser.add_argument("--postgres-url", default=os.environ.get("BANWATCH_TEST_POSTGRES_URL"))
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for backend in args.backends.split(","):
        if backend == "postgres" and not args.postgres_url:
            print("postgres: skipped (no --postgres-url or BANWATCH_TEST_POSTGRES_URL)")
            continue
        for size in sizes:
            result = run(backend, size, args)
            print(f"{backend} {size:,}: loaded in {result.load_s:.0f}s, "
                  f"lookup median {result.median:,.0f} us", flush=True)  # fmt: skip
            results.append(result)
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
