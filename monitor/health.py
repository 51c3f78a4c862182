"""Is this installation healthy? One answer for ``banwatch status`` and ``/healthz``.

Unhealthy while any of these holds (each is one reason, in words an operator can act on):

* an enabled source has been failing for longer than ``[crawler] failing_after``;
* a delivery is dead (its retries ran out; ``banwatch deliveries retry ID`` revives it);
* the scheduler's heartbeat is stale: a daemon was scheduling and has not been heard of
  for ``meta.STALE_AFTER`` seconds without stopping cleanly.

A database on which no daemon ever ran (cron runs ``run --once``) is not unhealthy for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import meta
from monitor.config import Settings
from monitor.models import Delivery, Source
from monitor.sources import is_failing
from monitor.states import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Health:
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, object]:
        return {"status": "ok" if self.ok else "unhealthy", "reasons": list(self.reasons)}


def check(session: Session, settings: Settings, now: datetime | None = None) -> Health:
    now = now or datetime.now(UTC)
    reasons: list[str] = []
    source, delivery = Source.__table__.c, Delivery.__table__.c  # rows: no mapper set-up
    for src in session.execute(
        sa.select(Source.__table__).where(source.enabled.is_(True)).order_by(source.name)
    ):
        if is_failing(src, settings.crawler, now):
            reasons.append(
                f"source {src.name!r} failing since {src.failing_since:%Y-%m-%d %H:%M}Z: {src.last_error}"
            )
    dead = session.scalar(
        sa.select(sa.func.count())
        .select_from(Delivery.__table__)
        .where(delivery.status == DeliveryStatus.DEAD)
    )
    if dead:
        reasons.append(f"{dead} dead deliver{'y' if dead == 1 else 'ies'}")
    beat = meta.heartbeat(session)
    if beat.stale(now):
        reasons.append(f"scheduler heartbeat stale since {beat.at:%Y-%m-%d %H:%M:%S}Z")
    return Health(reasons)
