"""One scheduler per database: the others stand by until it goes away.

PostgreSQL: a session-level advisory lock, held by one connection for as long as the daemon
runs; the server drops it when that connection dies. SQLite: an exclusive ``flock`` on a
lock file beside the database file (``banwatch.db.scheduler.lock``); the kernel drops it when
the process dies, however it dies. Either way a standby polls every ``poll`` seconds and
takes over at its next poll after the holder is gone. An in-memory SQLite database has no
second process to exclude: leadership is granted at once.

``held_elsewhere`` answers ``banwatch run --once``: is a daemon scheduling right now?
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("banwatch.scheduler")

ADVISORY_LOCK_KEY = 0x62616E77  # "banw"
POLL = 2.0


class Leadership:
    """The right to schedule; ``acquire`` blocks (standing by) until it is ours."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._file: IO[Any] | None = None

    @property
    def lock_path(self) -> Path | None:
        """The SQLite lock file, or None (PostgreSQL, in-memory SQLite)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or not url.database:
            return None
        if url.database == ":memory:" or url.database.startswith("file:"):
            return None
        return (
            Path(url.database)
            .expanduser()
            .resolve()
            .with_name(Path(url.database).name + ".scheduler.lock")
        )

    def try_acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            self._conn = try_advisory_lock(self.engine)
            return self._conn is not None
        path = self.lock_path
        if path is None:
            return True
        import fcntl

        handle = path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def acquire(self, *, poll: float = POLL, stop: Callable[[], bool] = lambda: False) -> bool:
        """Block until this process schedules (True) or ``stop()`` says give up (False).
        Says once, in one line, that another scheduler is active."""
        announced = False
        while not self.try_acquire():
            if not announced:
                log.warning(
                    "another scheduler is active on this database; standing by",
                    extra={"poll": poll},
                )
                print(
                    "banwatch: another scheduler is active on this database; standing by",
                    flush=True,
                )
                announced = True
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline:
                if stop():
                    return False
                time.sleep(min(0.2, poll))
        if announced:
            log.warning("scheduler lock acquired; now active")
        return True

    def release(self) -> None:
        if self._conn is not None:
            release_advisory_lock(self._conn)
            self._conn = None
        if self._file is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def held_elsewhere(engine: Engine) -> bool:
    """True while another process holds the scheduler's lock on this database."""
    probe = Leadership(engine)
    if probe.try_acquire():
        probe.release()
        return False
    return True


def try_advisory_lock(engine: Engine) -> Connection | None:
    """Take PostgreSQL's scheduler lock if free: the connection holding it, else None."""
    conn = engine.connect()
    if conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}):
        conn.commit()
        return conn
    conn.close()
    return None


def release_advisory_lock(conn: Connection) -> None:
    """Give the lock up (session locks outlive a pooled connection's close)."""
    with contextlib.suppress(Exception):
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        conn.commit()
    conn.close()
