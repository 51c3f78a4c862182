"""The states banwatch stores, named once: event status, delivery status, alert kind.

StrEnums, so a member is its stored string ("active" == EventStatus.ACTIVE) and JSON shows
it as that string; the database columns stay plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    """Whether a ban stands or was lifted."""

    ACTIVE = "active"
    REVERSED = "reversed"


class DeliveryStatus(StrEnum):
    """Where an outbox row is: waiting (first try or retry), delivered, or given up."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class AlertKind(StrEnum):
    """What a delivery tells: an event change, or the daily digest."""

    OPENED = "event.opened"
    UPDATED = "event.updated"
    REVERSED = "event.reversed"
    DIGEST = "digest"


EVENT_ALERTS: tuple[AlertKind, ...] = (AlertKind.OPENED, AlertKind.UPDATED, AlertKind.REVERSED)
