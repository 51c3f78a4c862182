"""Installation-wide state kept in the ``meta`` table, one row per key.

* ``installation_id``: 32 random hex digits, created once per database (by migration 0005,
  or here if the row is missing). It salts every delivery's idempotency key, so the
  ``webhook-id`` and Message-ID of two installations (or of a fresh database after a move
  to PostgreSQL) never collide for different events; a retry keeps the key stored on its
  delivery row, so it stays the same.
* ``scheduler``: which daemon schedules (host and pid, as JSON) and, in ``updated_at``,
  its last heartbeat. A daemon that stops cleanly clears the value; one whose heartbeat
  is older than ``STALE_AFTER`` while the value is set has died without saying so
  (``banwatch status`` exits 1, ``/healthz`` answers 503).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.db import insert_ignoring
from monitor.models import Meta

INSTALLATION_ID = "installation_id"
SCHEDULER = "scheduler"
HEARTBEAT_EVERY = 10.0  # seconds between a scheduler's heartbeats
STALE_AFTER = 6 * HEARTBEAT_EVERY


def installation_id(session: Session) -> str:
    """This database's installation id, created on first use if no migration made one."""
    cached = session.info.get(INSTALLATION_ID)
    if cached:
        return str(cached)
    value = session.scalar(sa.select(Meta.value).where(Meta.key == INSTALLATION_ID))
    if not value:
        row = {"key": INSTALLATION_ID, "value": uuid.uuid4().hex, "updated_at": _now()}
        session.execute(insert_ignoring(session, Meta.__table__, "key"), [row])
        value = session.scalar(sa.select(Meta.value).where(Meta.key == INSTALLATION_ID))
    session.info[INSTALLATION_ID] = value
    return str(value)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The scheduler's last word: who (None: stopped cleanly) and when."""

    holder: str | None
    at: datetime | None

    def stale(self, now: datetime | None = None) -> bool:
        """A scheduler was running and has not been heard of for ``STALE_AFTER``."""
        if self.holder is None or self.at is None:
            return False
        return (now or _now()) - self.at > timedelta(seconds=STALE_AFTER)

    def as_json(self) -> dict[str, object]:
        return {
            "holder": self.holder,
            "at": self.at.isoformat() if self.at else None,
            "stale": self.stale(),
        }


def me() -> str:
    return json.dumps({"host": socket.gethostname(), "pid": os.getpid()}, sort_keys=True)


def beat(session: Session, holder: str, now: datetime | None = None) -> None:
    """Record that ``holder`` is scheduling, now."""
    now = now or _now()
    updated = session.execute(
        sa.update(Meta)
        .where(Meta.key == SCHEDULER)
        .values(value=holder, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(updated, "rowcount", 0):
        session.execute(
            insert_ignoring(session, Meta.__table__, "key"),
            [{"key": SCHEDULER, "value": holder, "updated_at": now}],
        )


def stopped(session: Session, holder: str) -> None:
    """``holder`` stops scheduling cleanly: no heartbeat is expected any more."""
    session.execute(
        sa.update(Meta)
        .where(Meta.key == SCHEDULER, Meta.value == holder)
        .values(value=None, updated_at=_now())
        .execution_options(synchronize_session=False)
    )


def heartbeat(session: Session) -> Heartbeat:
    meta = Meta.__table__.c  # a row, not an ORM object: ``banwatch status`` reads it
    row = session.execute(
        sa.select(meta.value, meta.updated_at).where(meta.key == SCHEDULER)
    ).first()
    return Heartbeat(None, None) if row is None else Heartbeat(row[0], row[1])


def _now() -> datetime:
    return datetime.now(UTC)
