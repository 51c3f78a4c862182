"""The daemon: APScheduler 3 runs crawl, dispatch, digest and housekeeping jobs.

Jobs are rebuilt from settings at every start (no pickled job store). Each crawl runs as a
child process (``python -m monitor.cli crawl KIND --json``) so Twisted stays out of the
daemon and a crash or leak in a crawl never takes it down; the spiders themselves poll only
the sources that are due, so the crawl job ticks often and costs nothing when nothing is
due. A crawl child is asked to stop (SIGTERM) when the daemon dies or stops.

Invariants:

* One scheduler per database (``monitor.leadership``): a second daemon says so in one line
  and stands by until the first goes away. The active one writes a heartbeat every
  ``meta.HEARTBEAT_EVERY`` seconds (``banwatch status`` reports a stale one).
* A job that fails logs one line saying what and where and runs again at its next tick;
  nothing stored or queued is lost: every step commits its own work (frontier rows, claimed
  deliveries), so SIGKILL at any moment only delays it.
* SIGTERM/SIGINT stop the daemon within ``STOP_GRACE`` seconds with exit status 0: crawl
  children are asked to stop (Scrapy closes its spider and gives its unfetched frontier rows
  back), jobs still running after the grace are abandoned mid-way, which loses nothing
  for the reason above.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from monitor import meta
from monitor.config import Settings
from monitor.db import session_scope
from monitor.errors import BanwatchError
from monitor.leadership import Leadership

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("banwatch.scheduler")

CRAWL_KINDS = {"feeds": "feeds", "sites": "site", "sitemaps": "sitemap"}
STOP_GRACE = 8.0
ALL_SOURCES_FAILED = 4  # ``banwatch crawl``'s exit status when every source it tried failed  # seconds SIGTERM leaves running jobs before the daemon exits anyway


class Children:
    """The crawl processes this daemon runs, so a stop can reach them."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def add(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def terminate(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    def wait(self, deadline: float) -> None:
        """Wait for them until ``deadline`` (monotonic), then kill what is left."""
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the crawl child gets SIGTERM when the daemon dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def crawl_kinds(settings: Settings) -> list[str]:
    """Spider names that have at least one enabled source."""
    kinds = []
    for key, spider in CRAWL_KINDS.items():
        if any(entry.enabled for entry in getattr(settings, key)):
            kinds.append(spider)
    return kinds


@dataclass
class CrawlOutcome:
    """What one crawl child reported (its ``crawl --json`` counts), or how it ended."""

    kind: str
    summary: str
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)
    ok: bool = False


def crawl_job(
    settings: Settings,
    kind: str,
    config_path: str | None,
    children: Children | None = None,
    report: Callable[[CrawlOutcome], None] | None = None,
) -> str:
    """Run one crawl in a child process; returns its summary line."""
    cmd = [sys.executable, "-m", "monitor.cli"]
    if config_path or settings.path:
        cmd += ["--config", str(config_path or settings.path)]
    cmd += ["crawl", kind, "--json"]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    if children is not None:
        children.add(proc)
    try:
        stdout, stderr = proc.communicate(timeout=settings.schedule.crawl_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        log.error(
            "crawl timed out", extra={"kind": kind, "timeout": settings.schedule.crawl_timeout}
        )
        return f"timed out after {settings.schedule.crawl_timeout:.0f}s"
    finally:
        if children is not None:
            children.discard(proc)
    elapsed = time.monotonic() - started
    if stderr:
        # The child already logs one structured line per source error; pass them through.
        sys.stderr.write(stderr)
    if proc.returncode < 0:
        # Killed by a signal: the daemon's own shutdown (Ctrl-C and systemd signal the whole
        # process group) or an operator. Its sources stay due and are polled next time.
        name = signal.Signals(-proc.returncode).name
        log.warning("crawl stopped", extra={"kind": kind, "signal": name})
        return f"stopped by {name}"
    if proc.returncode not in (0, ALL_SOURCES_FAILED):
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        log.error("crawl failed", extra={"kind": kind, "exit": proc.returncode, "error": tail})
        if report is not None:
            report(CrawlOutcome(kind, tail, elapsed))
        return f"failed (exit {proc.returncode}): {tail}"
    try:
        counts: dict[str, Any] = json.loads(stdout)
    except ValueError:
        counts = {}
    summary = describe_counts(counts) if counts else "done"
    log.info("crawl done", extra={"kind": kind, "seconds": f"{elapsed:.1f}", "summary": summary})
    if report is not None:
        report(CrawlOutcome(kind, summary, elapsed, counts, ok=True))
    return summary


def describe_counts(counts: dict[str, Any]) -> str:
    """One line from a crawl's ``--json`` counts (as ``CrawlStats.describe`` words it)."""
    keys = ("fetched", "stored", "duplicates", "dropped", "errors", "not_modified")
    return ", ".join(f"{key.replace('_', ' ')} {counts.get(key, 0)}" for key in keys)


def dispatch_job(settings: Settings, engine: Engine) -> str:
    return str(_dispatch(settings, engine))


def _dispatch(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    from monitor.alerts.outbox import dispatch_due

    return dispatch_due(engine, settings)


def digest_job(settings: Settings, engine: Engine) -> str:
    """Queue (once per day, by idempotency key) and send the daily digest."""
    from monitor.alerts.digest_send import send_digest

    return str(send_digest(engine, settings, None))


def digest_due(settings: Settings, now: datetime | None = None) -> bool:
    """True once today's digest time has passed in the digest's time zone."""
    local = (now or datetime.now(UTC)).astimezone(settings.digest.zone)
    return settings.digest.enabled and local.time() >= settings.digest.time


def housekeeping_job(settings: Settings, engine: Engine) -> str:
    """Mirror settings.toml's sources and subscriptions into the database."""
    from monitor.sync import sync_config

    with session_scope(engine) as session:
        sync_config(session, settings)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return "sources and subscriptions in sync"


def _guarded(name: str, func: Callable[..., str], *args: Any) -> str | None:
    """Run a job; any error becomes one log line and the daemon goes on."""
    try:
        return func(*args)
    except BanwatchError as exc:
        log.error("job failed", extra={"job": name, "error": str(exc)})
    except Exception as exc:
        log.exception("job crashed", extra={"job": name, "error": f"{type(exc).__name__}: {exc}"})
    return None


@dataclass
class OnceSummary:
    """What ``banwatch run --once`` did, job by job."""

    results: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    idle: bool = False  # no source was due and no alert was waiting

    def describe(self) -> str:
        lines = [f"{job}: {outcome}" for job, outcome in self.results.items()]
        if self.idle:
            lines.append("nothing was due: no source to poll, no page or alert waiting")
        return "\n".join(lines) if lines else "nothing to do"


def run_once(settings: Settings, engine: Engine, *, config_path: str | None = None) -> OnceSummary:
    """Every job once, in pipeline order: housekeeping, crawls, dispatch, digest if due."""
    summary = OnceSummary()
    crawls: list[CrawlOutcome] = []

    def step(name: str, func: Callable[..., Any], *args: Any) -> Any:
        outcome = _guarded(name, func, *args)
        if outcome is None:
            summary.failed.append(name)
        summary.results[name] = "failed (see log)" if outcome is None else str(outcome)
        return outcome

    step("housekeeping", housekeeping_job, settings, engine)
    for kind in crawl_kinds(settings):
        step(f"crawl {kind}", crawl_job, settings, kind, config_path, None, crawls.append)
    dispatched = step("dispatch", _dispatch, settings, engine)
    if digest_due(settings):
        step("digest", digest_job, settings, engine)
    busy_keys = ("fetched", "not_modified", "errors", "stored", "duplicates", "dropped")
    summary.idle = (
        not summary.failed
        and all(c.ok and not any(c.counts.get(k) for k in busy_keys) for c in crawls)
        and dispatched is not None
        and not (dispatched.sent or dispatched.retrying or dispatched.dead)
    )
    return summary


class _NoOverlapWarning(logging.Filter):
    """APScheduler warns on every tick that finds the last crawl still running; a long
    crawl is normal, so that warning is shown at -vv (DEBUG) only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances" in record.getMessage():
            return logging.getLogger("banwatch").isEnabledFor(logging.DEBUG)
        return True


_NO_OVERLAP_WARNING = _NoOverlapWarning()


class Daemon:
    """The running daemon's state: its crawl children, running jobs, stop request."""

    def __init__(self, settings: Settings, engine: Engine, config_path: str | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.config_path = config_path
        self.children = Children()
        self.stopping = threading.Event()
        self.leadership = Leadership(engine)
        self.holder = meta.me()
        self.crawl_reports: list[Callable[[CrawlOutcome], None]] = []
        self.dispatch_reports: list[Callable[[Any], None]] = []
        self._running = 0
        self._lock = threading.Lock()

    @property
    def running_jobs(self) -> int:
        with self._lock:
            return self._running

    def job(self, name: str, func: Any, *args: Any) -> str | None:
        """What the scheduler runs: one job, counted while it runs, errors logged."""
        with self._lock:
            self._running += 1
        try:
            return _guarded(name, func, *args)
        finally:
            with self._lock:
                self._running -= 1

    def crawl(self, kind: str) -> str:
        return crawl_job(self.settings, kind, self.config_path, self.children, self._report_crawl)

    def dispatch(self) -> str:
        started = time.monotonic()
        stats = _dispatch(self.settings, self.engine)
        if stats.sent or stats.retrying or stats.dead or stats.disabled:
            log.info(
                "dispatch done",
                extra={"seconds": f"{time.monotonic() - started:.1f}", "summary": str(stats)},
            )
        for report in self.dispatch_reports:
            report(stats)
        return str(stats)

    def _report_crawl(self, outcome: CrawlOutcome) -> None:
        for report in self.crawl_reports:
            report(outcome)

    def beat(self) -> None:
        with session_scope(self.engine) as session:
            meta.beat(session, self.holder)

    def heartbeat_loop(self) -> None:
        while not self.stopping.wait(meta.HEARTBEAT_EVERY):
            try:
                self.beat()
            except BanwatchError as exc:
                log.error("heartbeat failed", extra={"error": str(exc)})


def build_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    config_path: str | None = None,
    daemon: Daemon | None = None,
) -> BlockingScheduler:
    """A BlockingScheduler with banwatch's jobs, built from settings."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    daemon = daemon or Daemon(settings, engine, config_path)
    logging.getLogger("apscheduler.scheduler").addFilter(_NO_OVERLAP_WARNING)
    logging.getLogger("apscheduler.executors.default").addFilter(_NO_OVERLAP_WARNING)
    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    now = datetime.now(UTC)
    scheduler.add_job(
        daemon.job,
        IntervalTrigger(seconds=settings.schedule.housekeeping_interval),
        args=("housekeeping", housekeeping_job, settings, engine),
        id="housekeeping",
        next_run_time=now,
    )
    for kind in crawl_kinds(settings):
        scheduler.add_job(
            daemon.job,
            IntervalTrigger(seconds=settings.crawler.tick),
            args=(f"crawl {kind}", daemon.crawl, kind),
            id=f"crawl-{kind}",
            next_run_time=now,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        daemon.job,
        IntervalTrigger(seconds=settings.schedule.dispatch_interval),
        args=("dispatch", daemon.dispatch),
        id="dispatch",
        next_run_time=now,
    )
    if settings.digest.enabled:
        scheduler.add_job(
            daemon.job,
            CronTrigger(
                hour=settings.digest.time.hour,
                minute=settings.digest.time.minute,
                timezone=settings.digest.zone,
            ),
            args=("digest", digest_job, settings, engine),
            id="digest",
            misfire_grace_time=6 * 3600,
        )
    return scheduler


def run_daemon(
    settings: Settings,
    engine: Engine,
    *,
    config_path: str | None = None,
    daemon: Daemon | None = None,
) -> None:
    """Run until SIGINT/SIGTERM; stand by first while another scheduler is active."""
    daemon = daemon or Daemon(settings, engine, config_path)
    scheduler: Any = None

    def _stop(signum: int, _frame: object) -> None:
        log.warning("stopping", extra={"signal": signal.Signals(signum).name})
        daemon.stopping.set()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not daemon.leadership.acquire(stop=daemon.stopping.is_set):
        return  # stopped while standing by
    daemon.beat()
    beating = threading.Thread(target=daemon.heartbeat_loop, name="heartbeat", daemon=True)
    beating.start()
    scheduler = build_scheduler(settings, engine, config_path=config_path, daemon=daemon)
    print(
        f"banwatch daemon running: {len(scheduler.get_jobs())} jobs "
        f"({', '.join(job.id for job in scheduler.get_jobs())}); Ctrl-C stops it",
        flush=True,
    )
    try:
        if not daemon.stopping.is_set():
            scheduler.start()
    finally:
        daemon.stopping.set()
        _wind_down(daemon)


def _wind_down(daemon: Daemon) -> None:
    """Stop the crawl children, give running jobs ``STOP_GRACE``, then leave: whatever is
    still running is abandoned (its work is committed step by step or claimed under a
    lease that will end), so the exit is prompt and exits 0."""
    deadline = time.monotonic() + STOP_GRACE
    daemon.children.terminate()
    daemon.children.wait(deadline)
    while daemon.running_jobs and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        with session_scope(daemon.engine) as session:
            meta.stopped(session, daemon.holder)
    except BanwatchError as exc:
        log.error("could not record the stop", extra={"error": str(exc)})
    daemon.leadership.release()
    if daemon.running_jobs:
        log.warning("stopped with a job still running", extra={"jobs": daemon.running_jobs})
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
