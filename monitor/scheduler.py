"""The daemon: APScheduler 3 runs crawl, dispatch, digest and housekeeping jobs.

Jobs are rebuilt from settings at every start (no pickled job store). Each crawl runs as a
child process (``python -m monitor.cli crawl KIND``) so Twisted stays out of the daemon and
a crash or leak in a crawl never takes it down; the spiders themselves poll only the
sources that are due, so the crawl job ticks often and costs nothing when nothing is due.

A job that fails logs one line saying what and where and runs again at its next tick;
nothing stored or queued is lost. With PostgreSQL, a session-level advisory lock makes
exactly one scheduler active; a second one stands by until the first goes away.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.config import Settings
from monitor.db import session_scope
from monitor.errors import BanwatchError

log = logging.getLogger("banwatch.scheduler")

ADVISORY_LOCK_KEY = 0x62616E77  # "banw"
CRAWL_KINDS = {"feeds": "feeds", "sites": "site", "sitemaps": "sitemap"}


@dataclass
class OnceSummary:
    """What ``banwatch run --once`` did, job by job."""

    results: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{job}: {outcome}" for job, outcome in self.results.items()]
        return "\n".join(lines) if lines else "nothing to do"


def crawl_kinds(settings: Settings) -> list[str]:
    """Spider names that have at least one enabled source."""
    kinds = []
    for key, spider in CRAWL_KINDS.items():
        if any(entry.enabled for entry in getattr(settings, key)):
            kinds.append(spider)
    return kinds


def crawl_job(settings: Settings, kind: str, config_path: str | None) -> str:
    """Run one crawl in a child process; returns its summary line."""
    cmd = [sys.executable, "-m", "monitor.cli"]
    if config_path or settings.path:
        cmd += ["--config", str(config_path or settings.path)]
    cmd += ["crawl", kind]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=settings.schedule.crawl_timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        log.error(
            "crawl timed out", extra={"kind": kind, "timeout": settings.schedule.crawl_timeout}
        )
        return f"timed out after {settings.schedule.crawl_timeout:.0f}s"
    elapsed = time.monotonic() - started
    if proc.stderr:
        # The child already logs one structured line per source error; pass them through.
        sys.stderr.write(proc.stderr)
    if proc.returncode < 0:
        # Killed by a signal: the daemon's own shutdown (Ctrl-C and systemd signal the whole
        # process group) or an operator. Its sources stay due and are polled next time.
        name = signal.Signals(-proc.returncode).name
        log.warning("crawl stopped", extra={"kind": kind, "signal": name})
        return f"stopped by {name}"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        log.error("crawl failed", extra={"kind": kind, "exit": proc.returncode, "error": tail})
        return f"failed (exit {proc.returncode}): {tail}"
    summary = (proc.stdout.strip().splitlines() or ["done"])[-1]
    log.info("crawl done", extra={"kind": kind, "seconds": f"{elapsed:.1f}", "summary": summary})
    return summary


def dispatch_job(settings: Settings, engine: Engine) -> str:
    from monitor.alerts.outbox import dispatch_due

    stats = dispatch_due(engine, settings)
    return str(stats)


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


def run_once(settings: Settings, engine: Engine, *, config_path: str | None = None) -> OnceSummary:
    """Every job once, in pipeline order: housekeeping, crawls, dispatch, digest if due."""
    summary = OnceSummary()

    def step(name: str, func: Callable[..., str], *args: Any) -> None:
        outcome = _guarded(name, func, *args)
        if outcome is None:
            summary.failed.append(name)
            outcome = "failed (see log)"
        summary.results[name] = outcome

    step("housekeeping", housekeeping_job, settings, engine)
    for kind in crawl_kinds(settings):
        step(f"crawl {kind}", crawl_job, settings, kind, config_path)
    step("dispatch", dispatch_job, settings, engine)
    if digest_due(settings):
        step("digest", digest_job, settings, engine)
    return summary


def build_scheduler(settings: Settings, engine: Engine, *, config_path: str | None = None):  # type: ignore[no-untyped-def]
    """A BlockingScheduler with banwatch's jobs, built from settings."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    now = datetime.now(UTC)
    scheduler.add_job(
        _guarded,
        IntervalTrigger(seconds=settings.schedule.housekeeping_interval),
        args=("housekeeping", housekeeping_job, settings, engine),
        id="housekeeping",
        next_run_time=now,
    )
    for kind in crawl_kinds(settings):
        scheduler.add_job(
            _guarded,
            IntervalTrigger(seconds=settings.crawler.tick),
            args=(f"crawl {kind}", crawl_job, settings, kind, config_path),
            id=f"crawl-{kind}",
            next_run_time=now,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        _guarded,
        IntervalTrigger(seconds=settings.schedule.dispatch_interval),
        args=("dispatch", dispatch_job, settings, engine),
        id="dispatch",
        next_run_time=now,
    )
    if settings.digest.enabled:
        scheduler.add_job(
            _guarded,
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


def run_daemon(settings: Settings, engine: Engine, *, config_path: str | None = None) -> None:
    """Run until SIGINT/SIGTERM. With PostgreSQL, only the lock holder schedules."""
    lock_conn = _acquire_leadership(engine)
    scheduler = build_scheduler(settings, engine, config_path=config_path)

    def _stop(signum: int, _frame: object) -> None:
        log.warning("stopping", extra={"signal": signal.Signals(signum).name})
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(
        f"banwatch daemon running: {len(scheduler.get_jobs())} jobs "
        f"({', '.join(job.id for job in scheduler.get_jobs())}); Ctrl-C stops it",
        flush=True,
    )
    try:
        scheduler.start()
    finally:
        if lock_conn is not None:
            release_leadership(lock_conn)


def try_leadership(engine: Engine) -> Connection | None:
    """Take PostgreSQL's scheduler lock if free: the connection holding it, else None."""
    conn = engine.connect()
    if conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}):
        conn.commit()
        return conn
    conn.close()
    return None


def release_leadership(conn: Connection) -> None:
    """Give the scheduler lock up (session locks outlive a pooled connection's close)."""
    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
    conn.commit()
    conn.close()


def _acquire_leadership(engine: Engine, poll: float = 30.0) -> Connection | None:
    """Hold PostgreSQL's advisory lock for as long as this daemon runs (None on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    announced = False
    while (conn := try_leadership(engine)) is None:
        if not announced:
            log.warning("another scheduler is active; standing by", extra={"poll": poll})
            announced = True
        time.sleep(poll)
    if announced:
        log.warning("scheduler lock acquired; now active")
    return conn
