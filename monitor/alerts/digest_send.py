"""Sending the daily digest: one delivery per digest subscriber and day, through the outbox.

send_digest(engine, settings)          # queue today's digest and dispatch it
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.alerts.filters import Filters
from monitor.alerts.outbox import (
    DIGEST_MODES,
    DispatchStats,
    dispatch_due,
    enqueue_digest,
    not_muted,
)
from monitor.classify.vocabulary import load_vocabulary
from monitor.db import session_scope
from monitor.digest import build_digest, local_today
from monitor.models import Subscription

if TYPE_CHECKING:
    from monitor.config import Settings


@dataclass(slots=True)
class DigestRun:
    """What ``send_digest`` did."""

    day: date
    queued: int = 0
    skipped_empty: int = 0
    dispatch: DispatchStats | None = None

    def __str__(self) -> str:
        text = f"digest {self.day.isoformat()}: {self.queued} queued"
        if self.skipped_empty:
            text += f", {self.skipped_empty} empty not sent"
        if self.dispatch is not None:
            text += f"; {self.dispatch}"
        return text


def send_digest(
    engine: Engine,
    settings: Settings,
    day: date | None = None,
    *,
    now: datetime | None = None,
    dispatch: bool = True,
) -> DigestRun:
    """Queue ``day``'s digest (default: today, local) for every digest subscriber, once per
    subscriber and day, then run a dispatcher pass so it goes out now."""
    day = day or local_today(settings, now)
    run = DigestRun(day)
    vocab = load_vocabulary(settings.classifier)
    with session_scope(engine) as session:
        subscriptions = session.scalars(
            sa.select(Subscription)
            .where(
                Subscription.active.is_(True),
                Subscription.mode.in_(DIGEST_MODES),
                not_muted(now or datetime.now(UTC)),  # muted: no digest either
            )
            .order_by(Subscription.id)
        ).all()
        for sub in subscriptions:
            if not settings.digest.send_empty:
                digest = build_digest(
                    session,
                    settings,
                    day,
                    filters=Filters.from_json(sub.filters),
                    vocabulary=vocab,
                    now=now,
                )
                if digest.empty:
                    run.skipped_empty += 1
                    continue
            run.queued += len(enqueue_digest(session, sub, day))
    if dispatch:
        run.dispatch = dispatch_due(engine, settings, now)
    return run
