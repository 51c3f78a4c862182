"""Scrapy settings for banwatch: politeness, limits, retries, pipelines. Scrapy settings only.

These are the defaults. ``banwatch crawl`` (``monitor.crawl.scrapy_settings``) loads this
module by name and overlays the values that settings.toml's ``[crawler]`` section controls
(user agent, robots, timeout, size limit, concurrency, delay, AutoThrottle, retries, HTTP
cache, Redis), so an operator tunes them in one place. Each setting below says why it has
its value; https://docs.scrapy.org/en/latest/topics/settings.html has the rest.
"""

from __future__ import annotations

BOT_NAME = "banwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Identity and politeness ------------------------------------------------------------

# Say who we are and where a site owner can reach us ([crawler] user_agent + contact_url).
USER_AGENT = "banwatch/0.1 (+https://github.com/banwatch/banwatch; news monitoring)"

# Respect robots.txt ([crawler] obey_robots). A Disallow rule stops the request before it
# is sent; the spider records it (a source forbidden by robots.txt is a failing source).
ROBOTSTXT_OBEY = True

# Per-site parallelism ([crawler] concurrency_per_domain) is what politeness is about;
# CONCURRENT_REQUESTS ([crawler] concurrency) only caps the total across sites.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
CONCURRENT_REQUESTS = 16

# A pause between requests to one site ([crawler] download_delay), randomised 0.5x-1.5x.
DOWNLOAD_DELAY = 0.5
RANDOMIZE_DOWNLOAD_DELAY = True

# AutoThrottle ([crawler] autothrottle) adapts the delay to each site's latency: a slow or
# struggling server gets fewer requests. The delay never drops below DOWNLOAD_DELAY.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- Where requests may go ---------------------------------------------------------------

# Every request and every redirect hop passes banwatch's address policy (monitor.net): the
# middleware checks URLs before they leave, the resolver drops refused addresses of
# untrusted names as Twisted connects (so DNS rebinding cannot slip between the two). It
# runs first (50), before robots.txt is fetched for a host it will refuse.
DOWNLOADER_MIDDLEWARES = {"crawler.netpolicy.AddressPolicyMiddleware": 50}
TWISTED_DNS_RESOLVER = "crawler.netpolicy.PolicyResolver"

# --- Limits ------------------------------------------------------------------------------

# Give up on a response after this many seconds ([crawler] timeout).
DOWNLOAD_TIMEOUT = 20
# Abort any response larger than this many bytes ([crawler] max_size): a feed or article
# is never this big, and a runaway response must not exhaust memory. No separate warning.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
# A feed is parsed in a child process (crawler.feedworker): killed after this many
# seconds ([crawler] parse_timeout), refused when its elements nest deeper than this (a
# normal feed nests less than 20 levels).
BANWATCH_FEED_PARSE_TIMEOUT = 30.0
BANWATCH_FEED_MAX_DEPTH = 128
# A response cut short (Content-Length not reached) is an error, never half a feed.
DOWNLOAD_FAIL_ON_DATALOSS = True

# --- Retries -----------------------------------------------------------------------------

# Retry transient failures (connection errors, timeouts, 5xx) a few times ([crawler]
# retries). 429 is not retried within a crawl: the spider honours its Retry-After by
# scheduling the source's next poll instead. Giving up is logged by the spider, in one line,
# so Scrapy's own "gave up retrying" message stays at DEBUG.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# Redirects are followed (feed URLs move); meta refresh too, but not from <noscript>.
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5

# Responses with error statuses reach the spiders' errbacks as HttpError; a 304 is allowed
# per request (conditional GET) by the spiders themselves.
HTTPERROR_ALLOW_ALL = False

# --- Throughput --------------------------------------------------------------------------

# Items processed in parallel per response. Scrapy's default of 100 creates 100 tasks per
# response; 4 made crawls 40-90% faster here (../shared/PERF.md). Each article page yields
# one item anyway.
CONCURRENT_ITEMS = 4

# Backpressure: the downloader waits while this many bytes of responses wait for the item
# pipeline (Scrapy's default is 5 MB). Extraction runs on the reactor thread at ~50 pages
# a second, so 5 MB of 100 KB pages is a second of work queued behind every request in
# flight, and that wait counts against each request's download timeout. 1 MB keeps the
# queue to a fifth of a second and the CPU just as busy.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000

# Validate -> extract (trafilatura, off the reactor thread) -> store via monitor.ingest.
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.ExtractPipeline": 200,
    "crawler.pipelines.IngestPipeline": 300,
}

# Extract in the reactor thread (False) or in Twisted's thread pool (True). trafilatura holds
# the GIL for most of its work, so a thread buys little overlap and costs GIL hand-offs:
# bench/crawl.py measured ~50 articles per CPU-second inline against ~40 in a thread, and no
# faster wall clock. Scale out with more crawl processes (`banwatch crawl --worker`) instead.
BANWATCH_EXTRACT_IN_THREAD = False
REACTOR_THREADPOOL_MAXSIZE = 4

# --- Development -------------------------------------------------------------------------

# An on-disk HTTP cache ([crawler] httpcache = true) replays responses while developing
# spiders and never touches the sites twice. Off in production: it would hide 304s.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.DummyPolicy"
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# --- Quiet by default --------------------------------------------------------------------

# banwatch logs one structured line per failing source; Scrapy's own chatter stays below
# WARNING unless asked for (banwatch -v). Dropped items are counted, not logged loudly.
LOG_LEVEL = "WARNING"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
LOGSTATS_INTERVAL = 0
# A crawl listens on no port: Scrapy's telnet console (a Python shell into the crawl) and
# its remote-control HTTP endpoint (Scrapy 2.19: runs code sent to a local port) are off,
# and the memory-usage extension mails no one. tests/test_crawl_netpolicy.py checks that
# a running crawl has no listening socket.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
MEMUSAGE_NOTIFY_MAIL: list[str] = []
# Cookies are not needed to read news and would make requests less cacheable.
COOKIES_ENABLED = False

# --- Scale-out (set by monitor.crawl when [crawler] redis_url is set) --------------------
# `banwatch crawl --worker` keeps a worker open until the shared queue has been idle for
# BANWATCH_WORKER_IDLE seconds ([crawler] worker_idle); see crawler/worker.py.
EXTENSIONS = {
    "crawler.worker.SharedQueueLinger": 500,
    # The listening extensions, removed outright as well as switched off (see above).
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
BANWATCH_WORKER = False
BANWATCH_WORKER_IDLE = 10.0
# SCHEDULER = "scrapy_redis.scheduler.Scheduler"
# DUPEFILTER_CLASS = "crawler.dupefilter.RoundDupeFilter"
# SCHEDULER_PERSIST = True
# REDIS_URL = "redis://127.0.0.1:6379/0"
# Workers share one request queue and one duplicate filter; see crawler/dupefilter.py.
SCHEDULER_QUEUE_KEY = "banwatch:%(spider)s:requests"
SCHEDULER_DUPEFILTER_KEY = "banwatch:%(spider)s:dupefilter"
# How long a shared duplicate filter lives (seconds) before Redis drops it; article URLs
# already stored are skipped by the database check in any case.
BANWATCH_DUPEFILTER_TTL = 86400
