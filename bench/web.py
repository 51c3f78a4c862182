"""Page render times of `banwatch serve` over a database of synthetic events, beside a
baseline measured in the same run: /healthz (the server, the middleware and one HTTP
round trip, no database, no template).

    .venv/bin/python bench/web.py [--events 2000] [--rounds 30]

Prints the median and 90th percentile of each page, in ms, and the page minus the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PLATFORMS = ("Twitter", "Facebook", "YouTube", "TikTok", "Telegram", "Reddit")
ACTIONS = ("ad_ban", "ban", "suspension", "removal", "network_takedown")


def fill(url: str, events: int) -> None:
    from monitor.db import open_database, session_scope
    from monitor.models import Article, Event, EventArticle, EventTarget, Verdict

    engine = open_database(url)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        for i in range(events):
            when = start + timedelta(hours=7 * i)
            platform, action = PLATFORMS[i % len(PLATFORMS)], ACTIONS[i % len(ACTIONS)]
            target = f"Outlet {i % 97}"
            article = Article(
                url=f"https://news{i % 13}.example/{i}",
                canonical_url=f"https://news{i % 13}.example/{i}",
                outlet=f"news{i % 13}.example",
                title=f"{platform} {action.replace('_', ' ')} against {target} <b>{i}</b>",
                text="...",
                published_at=when,
            )
            event = Event(
                platform=platform,
                action=action,
                target=target,
                target_key=target.lower(),
                first_seen_at=when,
                last_seen_at=when,
                article_count=1,
                outlet_count=1,
                headline=article.title,
                evidence=f"{platform} has acted against {target}, the company said.",
            )
            session.add_all([article, event])
            session.flush()
            verdict = Verdict(
                article_id=article.id,
                score=0.9,
                platform=platform,
                action=action,
                target=target,
                target_key=target.lower(),
                evidence=event.evidence,
                rules={"spans": [[0, len(platform)]]},
                classifier_version="bench",
            )
            session.add(verdict)
            session.flush()
            session.add(EventTarget(event_id=event.id, target_key=target.lower(), target=target,
                                    platform=platform, action=action))  # fmt: skip
            session.add(
                EventArticle(event_id=event.id, article_id=article.id, verdict_id=verdict.id)
            )
    engine.dispose()


def timed(url: str, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import uvicorn

    from monitor.config import settings_from_dict
    from monitor.db import open_database
    from monitor.web.app import create_app

    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'bench.db'}"
    t0 = time.perf_counter()
    fill(url, args.events)
    print(f"{args.events} events stored in {time.perf_counter() - t0:.1f} s")
    settings = settings_from_dict({"database": {"url": url}}, env={})
    engine = open_database(url)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    pages = {
        "/healthz (baseline)": "/healthz",
        "/ (50 rows, chart)": "/",
        "/?platform=X&q=outlet": "/?platform=X&q=outlet",
        "/events/{id}": f"/events/{args.events // 2}",
        "/feed.atom (100)": "/feed.atom",
        "/api/events?limit=1000": "/api/events?limit=1000",
        "/digest/{day}": "/digest/2024-06-01",
    }
    for path in pages.values():  # warm up: templates compiled, lexicon loaded
        timed(base + path, 2)
    baseline = statistics.median(timed(base + "/healthz", args.rounds))
    print(f"{'page':28} {'median ms':>10} {'p90 ms':>8} {'- baseline':>11}")
    for label, path in pages.items():
        samples = sorted(timed(base + path, args.rounds))
        median = statistics.median(samples)
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{label:28} {median:10.1f} {p90:8.1f} {median - baseline:11.1f}")
    server.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
