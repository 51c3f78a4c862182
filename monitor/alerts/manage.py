"""What a subscriber does besides subscribing: catch up, test the channel, mute.

    backfill(session, subscription, since, settings)       # the events since then, once
    result = send_test(session, subscription, settings)    # a marked test alert, sent now
    mute(session, subscription_name, until) / unmute(session, subscription_name)

* ``backfill`` (``banwatch subscribe ... --since 7d``) queues an alert for every event seen
  since ``since`` that the subscription's filters match (``event.opened``, or
  ``event.reversed`` for a ban already lifted), with the very idempotency key the live alert
  of that change would carry: the subscriber gets each earlier event once, and never again
  when the daemon alerts on it. Dismissed and merged events are left out. Without it a new
  subscription gets only events opened (or changed) after it was made.
* ``send_test`` (``banwatch alerts test NAME``) sends one message through the
  subscription's real channel, outside the outbox (nothing is recorded or retried): subject
  ``[banwatch] TEST alert for 'NAME'``, a body that says it is a test about a made-up ban,
  and a webhook body of ``"type": "test"`` with ``"test": true``. It returns the channel's
  ``SendResult``: the receiver's answer ("http 204", "smtp 250 ...") or the failure.
* A muted subscription (``banwatch mute NAME --for 8h``) gets nothing until
  ``muted_until``: events opened, updated or reversed meanwhile are *skipped*, not delayed
  (what readers and chat tools do: a muted channel does not replay), no digest is queued for
  it, and a delivery queued before the mute waits for its end. ``unmute`` ends it at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.alerts.channel import Message, SendResult
from monitor.alerts.channels import channel_for
from monitor.alerts.filters import Filters
from monitor.alerts.outbox import INSTANT_MODES, idempotency_key, insert_deliveries
from monitor.alerts.render import EventContext, event_html, event_payload, event_text
from monitor.classify.vocabulary import load_vocabulary
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.meta import installation_id
from monitor.models import Delivery, Event, Subscription, get_named
from monitor.queries import iso


def get_subscription(session: Session, name: str) -> Subscription:
    """The subscription called ``name``; ``ConfigError`` naming the nearest if none is."""
    return get_named(session, Subscription, name, "subscription")


def is_muted(subscription: Subscription, now: datetime | None = None) -> bool:
    until = subscription.muted_until
    return until is not None and until > (now or datetime.now(UTC))


# --- catching up -------------------------------------------------------------------------


def backfill(
    session: Session,
    subscription: Subscription,
    since: datetime,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> list[Delivery]:
    """Queue the events seen since ``since`` that ``subscription`` wants (see the module
    docstring); returns the deliveries (existing ones included, so a repeat adds none)."""
    if subscription.mode not in INSTANT_MODES:
        raise ConfigError(
            f"subscription {subscription.name!r}: --since sends past events as alerts, and a "
            f"{subscription.mode} subscription gets no alerts (use mode instant or both)"
        )
    vocab = load_vocabulary(settings.classifier)
    filters = Filters.from_json(subscription.filters)
    events = session.scalars(
        sa.select(Event)
        .where(
            Event.last_seen_at >= since,
            Event.dismissed_at.is_(None),
            Event.merged_into_id.is_(None),
        )
        .order_by(Event.first_seen_at, Event.id)
    )
    now = now or datetime.now(UTC)
    installation = installation_id(session)  # the same keys as the live alerts
    rows = []
    for event in events:
        if not filters.matches(event, vocab):
            continue
        kind = "event.reversed" if event.status == "reversed" else "event.opened"
        rows.append(
            {
                "subscription_id": subscription.id,
                "event_id": event.id,
                "digest_date": None,
                "kind": kind,
                "idempotency_key": idempotency_key(
                    subscription.id, f"event:{event.id}", kind, installation=installation
                ),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return insert_deliveries(session, rows)


# --- a test alert ------------------------------------------------------------------------

TEST_HEADLINE = "banwatch test alert: no platform banned anyone"
TEST_EVIDENCE = (
    "This is a test alert sent by `banwatch alerts test`: it shows what an alert looks like "
    "and that this channel works. Nothing happened."
)


def test_event(now: datetime) -> Event:
    """A made-up ban, never stored, that a test alert describes."""
    return Event(
        id=0,
        platform="Example Platform",
        action="suspension",
        target="Example Outlet (TEST)",
        target_key="example outlet test",
        status="active",
        first_seen_at=now,
        last_seen_at=now,
        article_count=0,
        outlet_count=0,
        headline=TEST_HEADLINE,
        evidence=TEST_EVIDENCE,
        score=1.0,
        targets=[],
    )


def test_message(subscription: Subscription, settings: Settings, now: datetime) -> Message:
    """The message ``send_test`` sends: an alert about ``test_event``, marked TEST in its
    subject, first line and webhook body."""
    ctx = EventContext(test_event(now), (), (), ())
    zone = settings.digest.zone
    banner = (
        f"TEST ALERT for subscription {subscription.name!r} (banwatch alerts test). "
        "No action is needed.\n\n"
    )
    payload = {**event_payload(ctx, "test", now), "type": "test", "test": True}
    return Message(
        id="msg_test_" + secrets.token_hex(12),
        kind="test",
        subject=f"[banwatch] TEST alert for {subscription.name!r} — no action needed",
        text=banner + event_text(ctx, "test", zone, None),
        html=event_html(ctx, "test", zone, None),
        payload=payload,
    )


def send_test(
    session: Session, subscription: Subscription, settings: Settings, *, now: datetime | None = None
) -> SendResult:
    """Send a test alert through the subscription's channel now; the channel's answer.

    Works on a muted or switched-off subscription too: the user asked for it."""
    now = now or datetime.now(UTC)
    channel = channel_for(subscription, settings)
    message = test_message(subscription, settings, now)
    try:
        return channel.send(message)
    except Exception as exc:  # channels map their own errors; this is the safety net
        return SendResult.failed(f"{type(exc).__name__}: {exc}")


# --- muting ------------------------------------------------------------------------------


def mute(session: Session, name: str, until: datetime) -> Subscription:
    """Mute subscription ``name`` until ``until`` (see the module docstring)."""
    row = get_subscription(session, name)
    row.muted_until = until
    session.flush()
    return row


def unmute(session: Session, name: str) -> Subscription:
    """End a mute now; deliveries that waited for it are due at once."""
    row = get_subscription(session, name)
    waited_until = row.muted_until
    row.muted_until = None
    if waited_until is not None:
        now = datetime.now(UTC)
        session.execute(
            sa.update(Delivery)
            .where(
                Delivery.subscription_id == row.id,
                Delivery.status == "pending",
                Delivery.next_attempt_at > now,
                Delivery.next_attempt_at <= waited_until,
            )
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return row


def muted_label(subscription: Subscription, now: datetime | None = None) -> str | None:
    """``"until 2026-12-01T23:00:00Z"`` while muted, else None."""
    return f"until {iso(subscription.muted_until)}" if is_muted(subscription, now) else None
