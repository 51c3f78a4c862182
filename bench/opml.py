"""``banwatch sources import`` of a large OPML file: one in-memory index of the stored sources
against a table lookup per entry.

    .venv/bin/python bench/opml.py              # 300 and 1,000 entries, SQLite
    .venv/bin/python bench/opml.py --sizes 2000

For each size a fresh SQLite database is migrated and the same generated OPML file (feeds in
20 folders, one URL in ten repeated with a trailing slash) is imported twice over:

* baseline, measured in the same run: every entry checked the way a single ``sources add``
  checks it — the sources table read for the URL and the name, then a flush;
* ``import_opml``: the stored sources read once into a ``SourceIndex``, each entry checked
  in memory, one flush at the end.

Both must add and skip the same entries. The baseline grows with the square of the number
of entries (each check reads every source stored so far); the index stays linear.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from monitor.db import open_database, session_scope
from monitor.errors import ConfigError
from monitor.opml import import_opml, parse_opml, read_entries
from monitor.sources import DuplicateSource, add_source, unique_name


def opml(n: int) -> str:
    outlines = []
    for i in range(n):
        url = f"https://site{i % (n - n // 10)}.example.org/feed.xml"
        url += "/" if i >= n - n // 10 else ""  # the last tenth repeats earlier feeds
        outlines.append(
            f'<outline text="Folder {i % 20}"><outline text="Feed {i}" type="rss" '
            f'xmlUrl="{url}"/></outline>'
        )
    body = "".join(outlines)
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'


def one_by_one(url: str, doc: str) -> tuple[int, int]:
    """The baseline: each entry added as ``sources add`` adds one."""
    engine = open_database(url)
    added = skipped = 0
    with session_scope(engine) as session:
        entries, _bad = read_entries(parse_opml(doc))
        for entry in entries:
            try:
                add_source(
                    session,
                    url=entry.url,
                    name=unique_name(session, entry.title),
                    origin="opml",
                    category=entry.category,
                )
                added += 1
            except DuplicateSource:
                skipped += 1
            except ConfigError:
                pass
    engine.dispose()
    return added, skipped


def indexed(url: str, doc: str) -> tuple[int, int]:
    engine = open_database(url)
    with session_scope(engine) as session:
        report = import_opml(session, doc)
    engine.dispose()
    return len(report.added), len(report.skipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000", help="Entries per file, comma-separated.")
    args = parser.parse_args()
    print(f"{'entries':>8} {'baseline s':>11} {'import_opml s':>14} {'speed-up':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        doc = opml(n)
        with tempfile.TemporaryDirectory() as folder:
            times = {}
            results = {}
            for label, run in (("baseline", one_by_one), ("indexed", indexed)):
                db = f"sqlite:///{Path(folder) / f'{label}.db'}"
                open_database(db).dispose()  # migrations outside the timing
                started = time.perf_counter()
                results[label] = run(db, doc)
                times[label] = time.perf_counter() - started
            assert results["baseline"] == results["indexed"], results
        print(
            f"{n:>8} {times['baseline']:>11.2f} {times['indexed']:>14.2f} "
            f"{times['baseline'] / times['indexed']:>8.0f}x"
        )


if __name__ == "__main__":
    main()
