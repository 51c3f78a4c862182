"""Query-string and path values read strictly: a value that is not what it should be is a
``BadRequest`` with a message for people (status 400), never a Python error text.

- ``limit`` is an integer 1..1000 (``abc``, ``1e23``, ``-1`` and ``0`` are refused; a
  missing one is the default);
- ``page`` an integer 1..100000; ids 1..2147483647 (the database's integer);
- ``since`` a duration back from now (``7d``, ``36h``, up to ten years) or a date;
  ``from`` / ``to`` dates (``2024-09-24``) or date-times; ``status`` ``active`` or
  ``reversed``; ``action`` one of the known actions;
- free text at most 200 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from starlette.datastructures import QueryParams

from monitor.classify.types import ACTIONS
from monitor.config import parse_since
from monitor.queries import EventQuery

MAX_LIMIT: Final = 1000
MAX_PAGE: Final = 100_000
MAX_ID: Final = 2_147_483_647
MAX_TEXT: Final = 200
STATUSES: Final = ("active", "reversed")
_INT = re.compile(r"^[0-9]{1,12}$")
FILTER_KEYS: Final = ("platform", "action", "target", "status", "q", "since", "from", "to")


class BadRequest(Exception):
    """A request value that cannot be used; ``message`` is shown to the person who sent it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def integer(raw: str | None, name: str, *, low: int, high: int, default: int | None = None) -> int:
    """``raw`` as an integer in ``low..high``; ``default`` when it is missing or empty."""
    if raw is None or raw.strip() == "":
        if default is None:
            raise BadRequest(f"{name}: a whole number from {low} to {high} is required")
        return default
    text = raw.strip()
    if not _INT.match(text) or not low <= int(text) <= high:
        raise BadRequest(f"{name} = {_shown(raw)}: expected a whole number from {low} to {high}")
    return int(text)


def event_id(raw: str) -> int:
    return integer(raw, "event id", low=1, high=MAX_ID)


def when(raw: str, name: str, *, end: bool = False) -> datetime:
    """A date (``2024-09-24``; as an end, the day after it) or an ISO date-time (UTC when
    it names no zone)."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{name} = {_shown(raw)}: expected a date like 2024-09-24 or a date-time"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def since(raw: str, now: datetime | None = None) -> datetime:
    """``7d`` / ``36h`` / ``90m`` back from now (at most ten years), or a date: the CLI's
    ``--since`` reading (``monitor.config.parse_since``)."""
    try:
        return parse_since(raw, now)
    except ValueError as exc:
        raise BadRequest(f"since = {_shown(raw)}: {exc}") from None


def text(raw: str | None, name: str) -> str | None:
    if raw is None:
        return None
    value = " ".join(raw.split())
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name}: expected at most {MAX_TEXT} characters")
    return value or None


@dataclass(frozen=True, slots=True)
class EventParams:
    """The filters as given (to rebuild links) and the query they make."""

    query: EventQuery
    given: dict[str, str]
    page: int

    def link(self, **changes: str | int | None) -> str:
        """The query string of these filters with ``changes`` (``None`` drops a key)."""
        from urllib.parse import urlencode

        values: dict[str, str] = dict(self.given)
        for key, value in changes.items():
            if value is None or value == "":
                values.pop(key, None)
            else:
                values[key] = str(value)
        return urlencode(values)


def event_params(q: QueryParams, *, default_limit: int = 50) -> EventParams:
    """The event filters of a page, the feed or the API, validated."""
    action = text(q.get("action"), "action")
    if action:
        action = re.sub(r"[\s\-]+", "_", action.casefold())
        if action not in ACTIONS:
            raise BadRequest(
                f"action = {_shown(q['action'])}: expected one of {', '.join(ACTIONS)}"
            )
    status = text(q.get("status"), "status")
    if status and status not in STATUSES:
        raise BadRequest(f"status = {_shown(status)}: expected one of {', '.join(STATUSES)}")
    limit = integer(q.get("limit"), "limit", low=1, high=MAX_LIMIT, default=default_limit)
    page = integer(q.get("page"), "page", low=1, high=MAX_PAGE, default=1)
    offset = integer(q.get("offset"), "offset", low=0, high=MAX_LIMIT * MAX_PAGE, default=0)
    start = since(q["since"]) if q.get("since", "").strip() else None
    if q.get("from", "").strip():
        begin = when(q["from"], "from")
        start = max(start, begin) if start else begin
    until = when(q["to"], "to", end=True) if q.get("to", "").strip() else None
    query = EventQuery(
        platform=text(q.get("platform"), "platform"),
        action=action,
        target=text(q.get("target"), "target"),
        status=status,
        text=text(q.get("q"), "q"),
        since=start,
        until=until,
        limit=limit,
        offset=offset or (page - 1) * limit,
    )
    given = {k: q[k].strip() for k in (*FILTER_KEYS, "limit") if q.get(k, "").strip()}
    return EventParams(query, given, page)


def day(raw: str) -> date:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"date = {_shown(raw)}: expected a date like 2024-09-24") from None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise BadRequest(f"date = {_shown(raw)}: expected a date between 2000 and 2100")
    return value


def _shown(raw: str) -> str:
    value = raw if len(raw) <= 40 else raw[:37] + "..."
    return repr(value)
