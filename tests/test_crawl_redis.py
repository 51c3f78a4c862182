"""Scale-out on scrapy-redis: two ``banwatch crawl --worker`` processes, one shared queue.

A loopback site of 520 article pages behind 13 section pages; both workers start together
against one Redis database and one banwatch database. Counted on the server: every page
is fetched exactly once between them, and both workers did part of the work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import LoopbackSite
from tests.crawl_site import article_page, banwatch, start_banwatch, write_settings

SECTIONS = 13
PER_SECTION = 40


def serve_big_site(site: LoopbackSite) -> list[str]:
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    sections = []
    for s in range(SECTIONS):
        links = []
        for a in range(PER_SECTION):
            path = f"/a/{s}-{a}.html"
            site.add(path, article_page(s * 1000 + a))
            links.append(f'<li><a href="{path}">story {a}</a></li>')
        site.add(f"/s/{s}.html", f"<html><body><ul>{''.join(links)}</ul></body></html>")
        sections.append(site.url(f"/s/{s}.html"))
    return sections


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_fetch_every_page_exactly_once(
    redis_url: str, db_url: str, loopback_site: LoopbackSite, tmp_path: Path
):
    sections = serve_big_site(loopback_site)
    config = write_settings(
        tmp_path / "settings.toml",
        db_url,
        crawler={"redis_url": redis_url, "worker_idle": "1s", "concurrency_per_domain": 8},
        sites=[{"name": "big", "start_urls": sections, "article_links": r"/a/\d+-\d+\.html$"}],
    )
    init = banwatch(config, "init")
    assert init.returncode == 0, init.stderr

    workers = [start_banwatch(config, "crawl", "site", "--worker", "--json") for _ in range(2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
    stats = [json.loads(stdout) for stdout, _ in outputs]

    pages = {p: n for p, n in loopback_site.hits.items() if p.startswith(("/a/", "/s/"))}
    assert len(pages) == SECTIONS * (PER_SECTION + 1)
    assert set(pages.values()) == {1}, {p: n for p, n in pages.items() if n != 1}
    assert sum(s["fetched"] for s in stats) == SECTIONS * (PER_SECTION + 1)
    assert all(s["fetched"] > 0 for s in stats), stats  # both workers took part
    assert sum(s["stored"] for s in stats) == SECTIONS * PER_SECTION

    from monitor.models import Article

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert (
            conn.scalar(sa.select(sa.func.count()).select_from(Article)) == SECTIONS * PER_SECTION
        )
    engine.dispose()


def test_worker_without_redis_is_one_clear_line(tmp_path: Path):
    config = write_settings(tmp_path / "settings.toml", f"sqlite:///{tmp_path / 'b.db'}")
    run = banwatch(config, "crawl", "--worker")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "banwatch: error: crawl --worker: expected [crawler] redis_url (or BANWATCH_REDIS_URL) "
        "naming the Redis server the workers share"
    ]
