"""Admin triage from the web: the same library functions the CLI verbs call.

Each action takes the posted form, validates its ids, calls one library function and
returns a line saying what was done (shown on the admin page). A library refusal
(``BanwatchError``) becomes a 422 with its message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from monitor.corrections import dismiss_event, merge_events, split_article
from monitor.errors import BanwatchError
from monitor.web import params
from monitor.web.params import BadRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.config import Settings


def _id(form: Mapping[str, Any], key: str, label: str) -> int:
    return params.integer(str(form.get(key) or ""), label, low=1, high=params.MAX_ID)


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except BanwatchError as exc:
        raise BadRequest(str(exc), 422) from None


def dismiss(session: Session, settings: Settings, form: Mapping[str, Any]) -> str:
    event_id = _id(form, "event", "event id")
    _call(dismiss_event, session, event_id)
    return f"Event {event_id} dismissed as not a ban."


def merge(session: Session, settings: Settings, form: Mapping[str, Any]) -> str:
    keep = _id(form, "event", "event id")
    other = _id(form, "other", "event to merge")
    if keep == other:
        raise BadRequest("Choose two different events to merge.", 422)
    _call(merge_events, session, keep, other)
    return f"Event {other} merged into event {keep}."


def split(session: Session, settings: Settings, form: Mapping[str, Any]) -> str:
    event_id = _id(form, "event", "event id")
    article_id = _id(form, "article", "article id")
    result = _call(split_article, session, event_id, article_id)
    return f"Article {article_id} split off event {event_id} into event {result.event_id}."


def retry(session: Session, settings: Settings, form: Mapping[str, Any]) -> str:
    from monitor.alerts.outbox import retry_delivery

    delivery_id = _id(form, "delivery", "delivery id")
    _call(retry_delivery, session, delivery_id)
    return f"Delivery {delivery_id} queued again."


ACTIONS: dict[str, Callable[[Session, Settings, Mapping[str, Any]], str]] = {
    "dismiss": dismiss,
    "merge": merge,
    "split": split,
    "retry": retry,
}
