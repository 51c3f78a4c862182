"""The daily digest rendered: plain text, HTML, JSON, and the message a digest delivery sends.

Beside ``monitor.alerts.render`` (the event alerts); the digest itself is built by
``monitor.digest``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from monitor import templating
from monitor.alerts.channel import Message
from monitor.alerts.filters import Filters
from monitor.alerts.render import unsubscribe_url
from monitor.digest import Digest, build_digest
from monitor.models import Delivery
from monitor.queries import iso
from monitor.states import AlertKind

if TYPE_CHECKING:
    from monitor.config import Settings

FORMATS = ("text", "html", "json")


def subject_for(digest: Digest) -> str:
    return f"[banwatch] Daily digest {digest.day.isoformat()} — {digest.summary()}"


def render_text(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The digest as plain text (template ``mail/digest.txt``)."""
    return templating.render("mail/digest.txt", digest=digest, unsubscribe=unsubscribe)


def render_html(digest: Digest, *, unsubscribe: str | None = None, base: str | None = None) -> str:
    """The digest as HTML (template ``mail/digest.html``: the same body as the web's digest
    page; every value escaped by the template engine). With ``base`` (``[web] base_url``)
    each event's headline links to its page."""
    return templating.render("mail/digest.html", digest=digest, unsubscribe=unsubscribe, base=base)


def digest_json(digest: Digest) -> dict[str, Any]:
    """The digest as data (``banwatch digest --format json``, the webhook's ``digest``)."""
    return {
        "date": digest.day.isoformat(),
        "timezone": digest.window.zone.key,
        "window": {"start": iso(digest.window.start), "end": iso(digest.window.end)},
        "summary": digest.summary(),
        "empty": digest.empty,
        "counts": {
            "new": len(digest.new),
            "reversals": len(digest.reversals),
            "updated": len(digest.updated),
            "articles": digest.articles,
            "failing_sources": len(digest.failing),
        },
        "platforms": [
            {
                "platform": platform,
                "targets": [
                    {"target": target, "events": [e.as_json() for e in events]}
                    for target, events in targets
                ],
            }
            for platform, targets in digest.grouped()
        ],
        "reversals": [e.as_json() for e in digest.reversals],
        "updated": [e.as_json() for e in digest.updated],
        "failing_sources": [
            {
                "name": s.name,
                "url": s.url,
                "failing_since": iso(s.failing_since),
                "failures": s.failures,
                "last_error": s.last_error,
            }
            for s in digest.failing
        ],
    }


def render(digest: Digest, fmt: str) -> str:
    """The digest in one of ``FORMATS``."""
    if fmt == "text":
        return render_text(digest)
    if fmt == "html":
        return render_html(digest)
    if fmt == "json":
        return json.dumps(digest_json(digest), indent=2, ensure_ascii=False)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


def digest_message(session: Session, delivery: Delivery, settings: Settings) -> Message:
    """The message a digest delivery sends: the day's digest through the subscriber's
    filters, rendered now."""
    if delivery.digest_date is None:
        raise LookupError(f"delivery {delivery.id}: a digest without a date")
    subscription = delivery.subscription
    digest = build_digest(
        session, settings, delivery.digest_date, filters=Filters.from_json(subscription.filters)
    )
    unsubscribe = unsubscribe_url(settings, subscription)
    return Message(
        id=delivery.idempotency_key,
        kind=AlertKind.DIGEST,
        subject=subject_for(digest),
        text=render_text(digest, unsubscribe=unsubscribe),
        html=render_html(
            digest, unsubscribe=unsubscribe, base=(settings.web.base_url or "").rstrip("/") or None
        ),
        payload={
            "type": "digest",
            "timestamp": iso(delivery.created_at),
            "event": None,
            "evidence": None,
            "articles": [],
            "digest": digest_json(digest),
        },
        unsubscribe_url=unsubscribe,
    )
