"""Articles ingested per second end to end, beside Scrapy alone and trafilatura alone.

    .venv/bin/python bench/crawl.py                  # 1,200 pages, one worker and two
    .venv/bin/python bench/crawl.py --rounds 3       # interleaved rounds, medians
    .venv/bin/python bench/crawl.py --pages 2000 --redis-url redis://127.0.0.1:6379/15

A loopback site serves ``--pages`` realistic article pages of 50-150 KB, made from the
corpus pages in ../shared/corpus/articles of that size: each keeps its template's markup
(menus, scripts, sidebars) while every paragraph gets new text drawn from the corpus's own
vocabulary (minus platform and enforcement words, so nothing classifies as a ban and no two
pages are near-duplicates); canonical links are removed. Section pages list them for the
``site`` spider. In the same run, on the same pages:

1. full pipeline: ``banwatch crawl site`` in a child process, exactly as the daemon runs it
   (fetch, trafilatura, classify, dedupe, store in a fresh SQLite database);
2. Scrapy alone: the same fetches with the same settings and no item pipeline;
3. trafilatura alone: ``extract_document`` over the same pages from memory, one thread;
4. two workers: two ``banwatch crawl site --worker`` processes sharing one scrapy-redis
   queue (or, without Redis, two processes on halves of the sections).

Rates count processing time only: the pipeline's from the first to the last stored
article's ``fetched_at`` (stamped at extraction), Scrapy's from its spider's open to close.
"Per core" counts the CPU seconds the crawl processes used beyond what a crawl of a 10-page
warm-up section costs (start-up, imports), against the articles beyond those 10. The
target: the full pipeline at least 75% of trafilatura alone per core, and two workers
keeping both cores busy. Other work on the machine skews all of it: the run says so when
the load average says so.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ARTICLES = REPO.parent / "shared" / "corpus" / "articles"
PER_SECTION = 50
WARM = 10
MIN_BYTES, MAX_BYTES = 50_000, 150_000
# Words that could make a random sentence look like an enforcement story.
AVOID = re.compile(
    r"^(ban\w*|suspend\w*|remov\w*|block\w*|take\w*|took|pull\w*|delist\w*|label\w*|restrict\w*|"
    r"demoneti\w*|terminat\w*|shut\w*|purg\w*|delet\w*|disabl\w*|deplatform\w*|reinstat\w*|"
    r"twitter|tweet\w*|facebook|meta|instagram|whatsapp|threads|youtube|google|tiktok|bytedance|"
    r"apple|app|apps|telegram|reddit|discord|snapchat|spotify|substack|patreon|paypal|amazon|"
    r"twitch|microsoft|linkedin|bing|cloudflare|x|rt|sputnik|kremlin|russia\w*|account\w*|"
    r"network\w*|ads?|advert\w*|channel\w*|platform\w*|store)$",
    re.IGNORECASE,
)
_PARAGRAPH = re.compile(r"(<p\b[^>]*>)(.*?)(</p>)", re.IGNORECASE | re.DOTALL)
_CANONICAL = re.compile(
    r"<link\b[^>]*\brel=[\"']?canonical[^>]*>|<meta\b[^>]*og:url[^>]*>", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]+>")


# --- pages ---------------------------------------------------------------------------------


def corpus_pages() -> list[str]:
    pages = []
    for path in sorted(ARTICLES.rglob("*.htm*")):
        data = path.read_bytes()
        data = gzip.decompress(data) if path.suffix == ".gz" else data
        if MIN_BYTES <= len(data) <= MAX_BYTES:
            pages.append(data.decode("utf-8", errors="replace"))
    return pages


def vocabulary(pages: list[str]) -> list[str]:
    from monitor.extract import extract_document

    words: list[str] = []
    for page in pages:
        try:
            text = extract_document(page, "http://127.0.0.1/v").text
        except Exception:
            continue
        words += [w for w in re.findall(r"[A-Za-z][a-z]{2,}", text) if not AVOID.match(w)]
    return words


def templates(pages: list[str], words: list[str]) -> list[str]:
    """The pages whose article text sits in <p> elements: two variants of one template must
    extract to different texts (else every page made from it would be a duplicate)."""
    from monitor import dedupe
    from monitor.extract import extract_document

    usable = []
    for n, page in enumerate(pages):
        texts = []
        for seed in (1, 2):
            variant = make_page(page, words, random.Random(seed))
            if not MIN_BYTES <= len(variant.encode()) <= MAX_BYTES:
                break
            try:
                texts.append(extract_document(variant, f"http://127.0.0.1/t{n}").text)
            except Exception:
                break
        if len(texts) == 2:
            a, b = (dedupe.Fingerprint.of(t).signature for t in texts)
            if dedupe.similarity(a, b) < 0.1:
                usable.append(page)
    return usable


def make_page(template: str, words: list[str], rng: random.Random) -> str:
    """The template's markup with new paragraph text of the same length, no canonical link."""

    def paragraph(match: re.Match[str]) -> str:
        length = len(_TAG.sub("", match.group(2)).split())
        if length < 4:
            return match.group(0)
        chosen = rng.choices(words, k=length)
        sentences, current = [], []
        for word in chosen:
            current.append(word)
            if len(current) >= rng.randint(9, 22):
                sentences.append(" ".join(current).capitalize() + ".")
                current = []
        if current:
            sentences.append(" ".join(current).capitalize() + ".")
        return match.group(1) + html.escape(" ".join(sentences)) + match.group(3)

    return _PARAGRAPH.sub(paragraph, _CANONICAL.sub("", template))


@dataclass
class Site:
    server: ThreadingHTTPServer
    pages: dict[str, bytes]
    sections: list[str]
    hits: dict[str, int]

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def build_site(count: int, seed: int) -> Site:
    rng = random.Random(seed)
    pages_ = corpus_pages()
    words = vocabulary(pages_)
    bases = templates(pages_, words)
    pages: dict[str, bytes] = {}
    for i in range(count):
        for attempt in range(len(bases)):  # another template if this one came out too small
            body = make_page(bases[(i + attempt) % len(bases)], words, rng).encode()
            if MIN_BYTES <= len(body) <= MAX_BYTES:
                break
        pages[f"/news/{i:05d}.html"] = body
    paths = list(pages)
    sections = []
    for s in range(0, count, PER_SECTION):
        links = "".join(f'<li><a href="{p}">story</a></li>' for p in paths[s : s + PER_SECTION])
        path = f"/section/{s // PER_SECTION}.html"
        pages[path] = f"<html><body><ul>{links}</ul></body></html>".encode()
        sections.append(path)
    # A small section for the start-up baseline: a crawl of WARM pages costs start-up plus
    # WARM articles; the full crawl's CPU beyond it is what the other articles cost.
    warm = "".join(f'<li><a href="{p}">story</a></li>' for p in paths[:WARM])
    pages["/section/warm.html"] = f"<html><body><ul>{warm}</ul></body></html>".encode()
    hits: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                hits[self.path] = hits.get(self.path, 0) + 1
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Site(server, pages, sections, hits)


# --- runs ----------------------------------------------------------------------------------


def write_config(folder: Path, site: Site, groups: list[list[str]], redis_url: str | None) -> Path:
    lines = [
        f'[database]\nurl = "sqlite:///{folder / "bench.db"}"\n',
        "[digest]\nenabled = false\n",
        "[crawler]\ndownload_delay = 0\nautothrottle = false\nobey_robots = false\n"
        "concurrency_per_domain = 16\nretries = 0\nworker_idle = 1\n"
        + (f'redis_url = "{redis_url}"\n' if redis_url else ""),
    ]
    for n, group in enumerate(groups):
        urls = ", ".join(f'"{site.base}{p}"' for p in group)
        lines.append(
            f'[[sites]]\nname = "bench-{n}"\nstart_urls = [{urls}]\narticle_links = "/news/"\n'
        )
    path = folder / "settings.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def banwatch(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BANWATCH_")},
    )


def wait(procs: list[subprocess.Popen[str]]) -> tuple[list[dict], float]:
    """Wait for ``procs``; their JSON outputs and the CPU seconds they used."""
    cpu = child_cpu()
    outputs = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"crawl failed:\n{err}")
        outputs.append(json.loads(out))
    return outputs, child_cpu() - cpu


def stored_window(config: Path) -> tuple[int, float, int]:
    """Stored articles, seconds from the first to the last one's extraction, and verdicts."""
    import sqlalchemy as sa

    from monitor.config import load_settings
    from monitor.models import Article, Verdict

    engine = sa.create_engine(load_settings(config).database.url)
    with engine.connect() as conn:
        n, first, last = conn.execute(
            sa.select(
                sa.func.count(), sa.func.min(Article.fetched_at), sa.func.max(Article.fetched_at)
            )
        ).one()
        verdicts = conn.scalar(sa.select(sa.func.count()).select_from(Verdict))
    engine.dispose()
    return n, ((last - first).total_seconds() if n > 1 else 0.0), verdicts


@dataclass
class PipelineRun:
    stored: int
    duplicates: int
    verdicts: int
    window: float  # seconds from the first to the last stored article
    cpu: float  # CPU seconds of the crawl processes beyond start-up (the warm crawls)
    marginal: int  # articles those CPU seconds paid for
    fetched: list[int]  # per process
    once: bool  # every article page requested exactly once (counted by the server)

    @property
    def rate(self) -> float:
        return (self.stored - 1) / self.window if self.window else 0.0

    @property
    def per_cpu(self) -> float:
        return self.marginal / self.cpu if self.cpu else 0.0

    @property
    def cores(self) -> float:
        return self.cpu / self.window if self.window else 0.0


def pipeline(site: Site, workers: int, redis_url: str | None) -> PipelineRun:
    """``banwatch crawl site`` (or ``workers`` of them) into a fresh SQLite database."""
    groups = [site.sections] if workers == 1 or redis_url else _split(site.sections, workers)
    shared = redis_url if workers > 1 else None
    # Start-up baseline: the same number of processes, each crawling the small warm section.
    warm = _fresh(site, [["/section/warm.html"]], None)
    _, warm_cpu = wait([banwatch(warm, "crawl", "site", "--json")])
    warm_stored = stored_window(warm)[0]
    config = _fresh(site, groups, shared)
    before = dict(site.hits)
    if workers == 1:
        procs = [banwatch(config, "crawl", "site", "--json")]
    elif shared:
        _flush(shared)
        procs = [banwatch(config, "crawl", "site", "--worker", "--json") for _ in range(workers)]
    else:
        procs = [
            banwatch(config, "crawl", "site", "--json", "--source", f"bench-{n}")
            for n in range(workers)
        ]
    outputs, cpu = wait(procs)
    stored, window, verdicts = stored_window(config)
    return PipelineRun(
        stored=stored,
        duplicates=sum(o["duplicates"] for o in outputs),
        verdicts=verdicts,
        window=window,
        cpu=max(cpu - workers * warm_cpu, 1e-9),
        marginal=stored - workers * warm_stored,
        fetched=[o["fetched"] for o in outputs],
        once=all(
            site.hits.get(p, 0) - before.get(p, 0) == 1
            for p in site.pages
            if p.startswith("/news/")
        ),
    )


def _fresh(site: Site, groups: list[list[str]], redis_url: str | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    config = write_config(folder, site, groups, redis_url)
    subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(config), "init"],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return config


def _split(items: list[str], parts: int) -> list[list[str]]:
    return [items[n::parts] for n in range(parts)]


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def redis_available(url: str | None) -> str | None:
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


def scrapy_alone(site: Site) -> tuple[int, float, float]:
    """The same fetches through Scrapy with banwatch's settings and no item pipeline:
    (pages, seconds from spider open to close, CPU seconds beyond start-up)."""
    urls = [site.base + p for p in site.pages]
    folder = Path(tempfile.mkdtemp(prefix="bench-scrapy-"))
    (folder / "urls.txt").write_text("\n".join(urls), encoding="utf-8")

    def child(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, __file__, "--scrapy-alone", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )

    (folder / "none.txt").write_text("", encoding="utf-8")
    _, startup = wait([child(str(folder / "none.txt"))])
    (result,), cpu = wait([child(str(folder / "urls.txt"))])
    return result["pages"], result["seconds"], max(cpu - startup, 1e-9)


def _scrapy_alone_child(url_file: str) -> None:
    """Child process of ``scrapy_alone``: crawl the URLs, print pages and seconds as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    urls = Path(url_file).read_text(encoding="utf-8").split()

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[override]
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            self.crawler.stats.inc_value("bench/pages")

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "RETRY_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "LOG_LEVEL": "ERROR",
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(
        json.dumps(
            {
                "pages": stats.get("bench/pages", 0),
                "seconds": stats.get("elapsed_time_seconds", 0.0),
            }
        )
    )


def trafilatura_alone(site: Site) -> tuple[int, float]:
    """``extract_document`` (what the pipeline runs) over the article pages from memory."""
    from monitor.extract import extract_document

    pages = [(p, body) for p, body in site.pages.items() if p.startswith("/news/")]
    for path, body in pages[:20]:  # warm-up: imports, lxml caches
        extract_document(body, site.base + path)
    started = time.process_time()
    for path, body in pages:
        extract_document(body, site.base + path)
    return len(pages), time.process_time() - started


# --- report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1200, help="article pages (>= 1000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, report medians")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="Redis database the two-worker run may flush (else two processes on split sections)",
    )
    parser.add_argument("--scrapy-alone", metavar="URL_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scrapy_alone:
        _scrapy_alone_child(args.scrapy_alone)
        return
    if not ARTICLES.exists():
        sys.exit(f"{ARTICLES} is absent: the benchmark builds its pages from the shared corpus")

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"note: load average {load:.1f} before the run: figures will be noisy")
    site = build_site(args.pages, args.seed)
    sizes = [len(b) for p, b in site.pages.items() if p.startswith("/news/")]
    print(
        f"site: {len(sizes)} article pages of {min(sizes) // 1000}-{max(sizes) // 1000} KB "
        f"(median {statistics.median(sizes) / 1000:.0f} KB), {len(site.sections)} section pages, "
        f"on {site.base}; {os.cpu_count()} cores"
    )

    redis_url = redis_available(args.redis_url)
    extract, fetch, ones, twos = [], [], [], []
    for _ in range(args.rounds):  # interleaved, so a burst of other load hits every measure
        n, seconds = trafilatura_alone(site)
        extract.append(n / seconds)
        pages, window, cpu = scrapy_alone(site)
        fetch.append((pages / window, pages / cpu))
        ones.append(pipeline(site, 1, None))
        twos.append(pipeline(site, 2, redis_url))
    extract_rate = statistics.median(extract)
    fetch_rate = statistics.median(f for f, _ in fetch)
    one = sorted(ones, key=lambda r: r.per_cpu)[len(ones) // 2]
    two = sorted(twos, key=lambda r: r.rate)[len(twos) // 2]
    how = "scrapy-redis, one shared queue" if redis_url else "split sections, no Redis"
    rounds = f"median of {args.rounds} rounds" if args.rounds > 1 else "one round"
    print(f"({rounds})")
    print(f"trafilatura alone   {extract_rate:8.1f} pages/s      one core, from memory")
    print(
        f"Scrapy alone        {fetch_rate:8.1f} pages/s      {pages} pages, no pipeline, "
        f"{statistics.median(c for _, c in fetch):.0f} per CPU-second"
    )
    print(
        f"full pipeline       {one.rate:8.1f} articles/s   {one.stored} stored, "
        f"{one.per_cpu:.1f} per CPU-second, {one.cores:.2f} cores busy"
    )
    print(
        f"two workers         {two.rate:8.1f} articles/s   {two.stored} stored, {how}, "
        f"fetched {'+'.join(map(str, two.fetched))}, {two.cores:.2f} cores busy"
    )
    print()
    print(
        f"full pipeline / trafilatura alone, per core  {one.per_cpu / extract_rate:6.0%}   (target >= 75%)"
    )
    print(f"full pipeline / trafilatura alone, wall      {one.rate / extract_rate:6.0%}")
    print(f"full pipeline / Scrapy alone                 {one.rate / fetch_rate:6.0%}")
    print(
        f"two workers / one worker                     {two.rate / one.rate:6.2f}x  ({two.cores:.2f} cores busy)"
    )
    print(
        f"each page fetched exactly once: one worker {one.once}, two workers {two.once}; "
        f"verdicts on the generated pages: {one.verdicts}; duplicates: {one.duplicates} "
        "(none expected)"
    )
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average was {load:.1f} at the end: other work shared these cores")


if __name__ == "__main__":
    main()
