"""ISO 8601 / W3C datetimes as feeds and sitemaps write them, read leniently.

A value that does not parse is ``None``, never an error: a bad date must not cost the entry.
A naive datetime is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso_datetime(value: object) -> datetime | None:
    """``2024-09-24``, ``2024-09-24T12:00:00+02:00`` or ``...Z`` as an aware datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
