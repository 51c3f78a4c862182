"""The daily digest rendered: plain text, HTML, JSON, and the message a digest delivery sends.

Beside ``monitor.alerts.render`` (the event alerts); the digest itself is built by
``monitor.digest``.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from monitor.alerts.channel import Message
from monitor.alerts.filters import Filters
from monitor.alerts.render import action_label, link_html, local_time, unsubscribe_url
from monitor.digest import Digest, DigestEvent, build_digest
from monitor.models import Delivery
from monitor.queries import iso

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from monitor.config import Settings

FORMATS = ("text", "html", "json")


def subject_for(digest: Digest) -> str:
    return f"[banwatch] Daily digest {digest.day.isoformat()} — {digest.summary()}"


def _event_line(e: DigestEvent, zone: ZoneInfo) -> str:
    scale = f", {e.scale}" if e.scale else ""
    return (
        f"{action_label(e.action)}{scale} — reported by {e.outlet_count} outlet(s), "
        f"first seen {local_time(e.first_seen, zone)}"
    )


def render_text(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The digest as plain text."""
    w = digest.window
    lines = [
        f"banwatch daily digest for {digest.day.isoformat()}",
        f"({local_time(w.start, w.zone)} to {local_time(w.end, w.zone)}; {digest.articles} articles read)",
        "",
    ]
    if digest.empty:
        lines.append("No new enforcement actions.")
    for platform, targets in digest.grouped():
        lines.append(f"== {platform} ==")
        for target, events in targets:
            lines.append(f"  {target}")
            for e in events:
                flag = "  [reversed]" if e.status == "reversed" else ""
                lines.append(f"    - {_event_line(e, w.zone)}{flag}")
                lines.append(f"      {e.headline}")
                lines.extend(f"      {r.url}" for r in e.reports)
        lines.append("")
    if digest.reversals:
        lines.append("== Reversals ==")
        for e in digest.reversals:
            lines.append(f"  - {e.platform} — {action_label(e.action)} — {e.target}: {e.headline}")
        lines.append("")
    if digest.updated:
        lines.append("== Newly reported ==")
        for e in digest.updated:
            lines.append(
                f"  - {e.platform} — {action_label(e.action)} — {e.target}: now "
                f"{e.outlet_count} outlet(s); new: {', '.join(e.new_outlets) or 'more articles'}"
            )
        lines.append("")
    lines.append("== Sources ==")
    if digest.failing:
        for s in digest.failing:
            lines.append(
                f"  ! {s.name} failing since {local_time(s.failing_since, w.zone)} "
                f"({s.failures} failures): {s.last_error or 'unknown error'}"
            )
    else:
        lines.append("  all sources healthy")
    if unsubscribe:
        lines += ["", f"Unsubscribe: {unsubscribe}"]
    return "\n".join(lines).rstrip() + "\n"


def render_html(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The digest as an HTML page (every article-derived value escaped)."""
    esc = html.escape
    w = digest.window
    out = [
        '<!doctype html><html><body style="font-family:sans-serif">',
        f"<h1>banwatch daily digest for {esc(digest.day.isoformat())}</h1>",
        f"<p>{esc(local_time(w.start, w.zone))} to {esc(local_time(w.end, w.zone))}; "
        f"{digest.articles} articles read. <strong>{esc(digest.summary())}</strong></p>",
    ]
    if digest.empty:
        out.append("<p>No new enforcement actions.</p>")
    for platform, targets in digest.grouped():
        out.append(f"<h2>{esc(platform)}</h2>")
        for target, events in targets:
            out.append(f"<h3>{esc(target)}</h3><ul>")
            for e in events:
                flag = " <em>(reversed)</em>" if e.status == "reversed" else ""
                links = "".join(f"<li>{link_html(r.title, r.url)}</li>" for r in e.reports)
                out.append(
                    f"<li>{esc(_event_line(e, w.zone))}{flag}<br>{esc(e.headline)}"
                    f"<ul>{links}</ul></li>"
                )
            out.append("</ul>")
    if digest.reversals:
        out.append("<h2>Reversals</h2><ul>")
        out.extend(
            f"<li>{esc(e.platform)} — {esc(action_label(e.action))} — {esc(e.target)}: "
            f"{esc(e.headline)}</li>"
            for e in digest.reversals
        )
        out.append("</ul>")
    if digest.updated:
        out.append("<h2>Newly reported</h2><ul>")
        out.extend(
            f"<li>{esc(e.platform)} — {esc(action_label(e.action))} — {esc(e.target)}: now "
            f"{e.outlet_count} outlet(s); new: {esc(', '.join(e.new_outlets) or 'more articles')}"
            "</li>"
            for e in digest.updated
        )
        out.append("</ul>")
    out.append("<h2>Sources</h2>")
    if digest.failing:
        out.append("<ul>")
        out.extend(
            f"<li><strong>{esc(s.name)}</strong> failing since "
            f"{esc(local_time(s.failing_since, w.zone))} ({s.failures} failures): "
            f"{esc(s.last_error or 'unknown error')}</li>"
            for s in digest.failing
        )
        out.append("</ul>")
    else:
        out.append("<p>All sources healthy.</p>")
    if unsubscribe:
        out.append(
            f'<p style="font-size:small"><a href="{esc(unsubscribe, quote=True)}">'
            "unsubscribe</a></p>"
        )
    out.append("</body></html>")
    return "".join(out)


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
        kind="digest",
        subject=subject_for(digest),
        text=render_text(digest, unsubscribe=unsubscribe),
        html=render_html(digest, unsubscribe=unsubscribe),
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
