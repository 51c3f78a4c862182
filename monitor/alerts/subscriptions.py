"""Subscriptions: who is told what, and how.

Made with ``banwatch subscribe`` (``create_subscription``) or declared in settings.toml as
``[[subscriptions]]`` and mirrored into the table by ``sync_config_subscriptions`` (rows
marked ``from_config``). Each row gets an unguessable ``token`` for its unsubscribe link;
a webhook without a secret gets a generated ``whsec_`` one, shown once when it is made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.alerts.apprise_channel import is_valid as apprise_is_valid
from monitor.alerts.apprise_channel import masked as apprise_masked
from monitor.alerts.channel import mask
from monitor.alerts.channels import CHANNELS
from monitor.alerts.filters import Filters
from monitor.classify.vocabulary import UnknownName, Vocabulary, load_vocabulary
from monitor.errors import ConfigError
from monitor.models import Subscription
from monitor.queries import iso
from monitor.status import DeliveryCounts, delivery_counts_by_subscription

if TYPE_CHECKING:
    from monitor.config import Settings, SubscriptionSettings

MODES = ("instant", "digest", "both")
# Who chose a subscription's address: the operator (settings.toml, CLI) or the web form.
ORIGINS = ("operator", "web")
REMOVED = "removed from settings.toml"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_address(channel: str, address: str, label: str) -> None:
    """Raise ``ConfigError`` unless ``address`` suits ``channel``; ``label`` prefixes the
    key in the message (``"subscriptions[0]."`` or ``"subscription 'x': "``)."""
    if channel not in CHANNELS:
        raise ConfigError(f"{label}channel = {channel!r}: expected one of {', '.join(CHANNELS)}")
    if channel == "email" and not _EMAIL.match(address):
        raise ConfigError(f"{label}address = {address!r}: expected a mail address")
    if channel == "webhook" and not re.match(r"(?i)^https?://[^\s/]+", address):
        raise ConfigError(f"{label}address = {address!r}: expected an http(s) URL")
    if channel == "apprise" and not apprise_is_valid(address):
        raise ConfigError(
            f"{label}address = {apprise_masked(address)!r}: expected an Apprise URL "
            "(e.g. slack://..., discord://..., tgram://..., ntfy://...)"
        )


def check_mode(mode: str, label: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"{label}mode = {mode!r}: expected one of {', '.join(MODES)}")


def create_subscription(
    session: Session,
    *,
    name: str,
    channel: str,
    address: str,
    filters: Filters | None = None,
    mode: str = "instant",
    secret: str | None = None,
    origin: str = "operator",
) -> Subscription:
    """Add a subscription; a webhook without ``secret`` gets a generated one.

    ``origin``: ``"operator"`` (the CLI) or ``"web"`` (the web form). A web address must be
    public (``monitor.net``): refused here with ``AddressRefused`` if it is not, and checked
    again at each send, since a name can resolve elsewhere later."""
    label = f"subscription {name!r}: "
    if not name.strip():
        raise ConfigError("subscription name: expected a non-empty name")
    check_address(channel, address, label)
    check_mode(mode, label)
    if origin not in ORIGINS:
        raise ConfigError(f"{label}origin = {origin!r}: expected one of {', '.join(ORIGINS)}")
    if origin == "web" and channel != "email":
        from monitor.alerts.channel import check_untrusted_address

        check_untrusted_address(channel, address)
    if session.scalar(sa.select(Subscription.id).where(Subscription.name == name)) is not None:
        raise ConfigError(f"{label}a subscription with this name exists (unsubscribe it first)")
    row = Subscription(
        name=name,
        channel=channel,
        address=address,
        filters=(filters or Filters()).to_json(),
        mode=mode,
        secret=secret or (new_secret() if channel == "webhook" else None),
        active=True,
        token=new_token(),
        from_config=False,
        origin=origin,
    )
    session.add(row)
    session.flush()
    return row


def remove_subscription(session: Session, name: str) -> Subscription:
    """Delete a subscription made with ``subscribe`` (its deliveries go with it); one
    declared in settings.toml is switched off instead, until removed from the file."""
    row = session.scalar(sa.select(Subscription).where(Subscription.name == name))
    if row is None:
        raise ConfigError(f"subscription {name!r}: no such subscription")
    if row.from_config:
        _switch_off(session, row, "unsubscribed (declared in settings.toml)")
    else:
        session.delete(row)
    session.flush()
    return row


def unsubscribe_by_token(session: Session, token: str) -> Subscription | None:
    """The one-click unsubscribe behind the List-Unsubscribe link (``link_token``): switch
    it off. An unknown or malformed token is ``None``."""
    row = subscription_for_link(session, token, "unsubscribe")
    if row is not None and (row.active or row.disabled_reason == AWAITING):
        _switch_off(session, row, "unsubscribed by link")
    return row


# --- links sent by mail: unsubscribe and double opt-in -----------------------------------

AWAITING = "awaiting confirmation"
CONFIRM_FOR = timedelta(days=7)
_LINK = re.compile(r"^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{16,128})$")


def _confirm_secret(row: Subscription) -> str:
    digest = hmac.new((row.token or "").encode(), f"confirm:{row.id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def link_token(row: Subscription, purpose: str = "unsubscribe") -> str:
    """The token of a subscription's mailed link: ``<id>.<secret>``. The unsubscribe
    secret is the row's random ``token`` (192 bits); the confirmation secret is an HMAC of
    it (256 bits), so one link cannot stand for the other."""
    secret = _confirm_secret(row) if purpose == "confirm" else (row.token or "")
    return f"{row.id}.{secret}"


def subscription_for_link(session: Session, token: str, purpose: str) -> Subscription | None:
    """The subscription a mailed link's token names, or ``None``. The row is found by its
    id and the secret compared in constant time, so response times say nothing about how
    much of a guess was right."""
    match = _LINK.match(token or "")
    if match is None:
        return None
    row = session.get(Subscription, int(match[1]))
    if row is None or not row.token:
        return None
    expected = _confirm_secret(row) if purpose == "confirm" else row.token
    if not hmac.compare_digest(expected.encode(), match[2].encode()):
        return None
    return row


def create_pending_subscription(
    session: Session,
    *,
    name: str,
    address: str,
    filters: Filters | None = None,
    mode: str = "instant",
) -> Subscription:
    """An email subscription made from outside (the web form): stored switched off,
    ``awaiting confirmation``, so nothing is sent to the address until the link of the
    confirmation mail is followed (``confirm_subscription``)."""
    row = create_subscription(
        session, name=name, channel="email", address=address, filters=filters, mode=mode
    )
    mark_from_web(row)
    row.active = False
    row.disabled_reason = AWAITING
    session.flush()
    return row


def mark_from_web(row: Subscription) -> None:
    """Record that a stranger typed this address into the web form (never trusted by the
    outbound address policy), where the schema has ``subscription.origin``."""
    if hasattr(Subscription, "origin"):
        row.origin = "web"  # type: ignore[attr-defined,unused-ignore]


def confirm_subscription(
    session: Session, token: str, now: datetime | None = None
) -> Subscription | None:
    """Switch on the subscription a confirmation link names, if it still awaits it and the
    link is younger than ``CONFIRM_FOR``; ``None`` otherwise."""
    row = subscription_for_link(session, token, "confirm")
    if row is None or row.disabled_reason != AWAITING:
        return row if row is not None and row.active else None
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    if (now or datetime.now(UTC)) - created > CONFIRM_FOR:
        return None
    row.active = True
    row.disabled_reason = None
    session.flush()
    return row


def _switch_off(session: Session, row: Subscription, reason: str) -> None:
    from monitor.alerts.outbox import disable_subscription

    disable_subscription(session, row, reason)


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """One subscription as ``banwatch subscriptions --json`` prints it (secret masked)."""

    id: int
    name: str
    channel: str
    address: str
    mode: str
    filters: Filters
    active: bool
    disabled_reason: str | None
    from_config: bool
    origin: str
    secret: str | None
    deliveries: DeliveryCounts
    muted_until: datetime | None = None  # while muted (banwatch mute), else None

    @classmethod
    def of(
        cls, row: Subscription, deliveries: DeliveryCounts, *, show_secret: bool = False
    ) -> SubscriptionRow:
        return cls(
            id=row.id,
            name=row.name,
            channel=row.channel,
            address=_shown_address(row),
            mode=row.mode,
            filters=Filters.from_json(row.filters),
            active=row.active,
            disabled_reason=row.disabled_reason,
            from_config=row.from_config,
            origin=row.origin,
            secret=row.secret if show_secret else mask(row.secret) or None,
            deliveries=deliveries,
            muted_until=row.muted_until if _muted(row) else None,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "channel": self.channel,
            "address": self.address,
            "mode": self.mode,
            "filters": self.filters.to_json(),
            "active": self.active,
            "disabled_reason": self.disabled_reason,
            "from_config": self.from_config,
            "origin": self.origin,
            "muted_until": iso(self.muted_until),
            "secret": self.secret,
            "deliveries": self.deliveries.as_json(),
        }


def _muted(row: Subscription) -> bool:
    return row.muted_until is not None and row.muted_until > datetime.now(UTC)


def _shown_address(row: Subscription) -> str:
    if row.channel == "apprise":
        return apprise_masked(row.address)
    return row.address


def list_subscriptions(session: Session, *, show_secrets: bool = False) -> list[SubscriptionRow]:
    """Every subscription with its delivery counts, by name."""
    counts = delivery_counts_by_subscription(session)
    return [
        SubscriptionRow.of(row, counts.get(row.id, DeliveryCounts()), show_secret=show_secrets)
        for row in session.scalars(sa.select(Subscription).order_by(Subscription.name))
    ]


@dataclass(slots=True)
class SyncStats:
    added: int = 0
    updated: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return f"subscriptions: {self.added} added, {self.updated} updated, {self.removed} off"


def sync_config_subscriptions(session: Session, settings: Settings) -> SyncStats:
    """Mirror settings.toml's ``[[subscriptions]]`` into the table.

    New entries are added; changed ones updated (a changed address switches a disabled one
    back on); entries gone from the file are switched off (their history is kept). A name
    already used by a ``subscribe``-made subscription is an error.
    """
    stats = SyncStats()
    vocab = load_vocabulary(settings.classifier)
    declared = {s.name: s for s in settings.subscriptions}
    rows = {r.name: r for r in session.scalars(sa.select(Subscription))}
    for i, spec in enumerate(settings.subscriptions):
        label = f"{settings.path or 'settings'}: subscriptions[{i}]."
        check_address(spec.channel, spec.address, label)
        row = rows.get(spec.name)
        wanted = _config_values(spec, vocab, label)
        if row is None:
            session.add(
                Subscription(
                    **wanted,
                    secret=spec.secret or (new_secret() if spec.channel == "webhook" else None),
                    active=True,
                    token=new_token(),
                    from_config=True,
                )
            )
            stats.added += 1
            continue
        if not row.from_config:
            raise ConfigError(
                f"{label}name = {spec.name!r}: expected a name not already used by "
                "`banwatch subscribe` (unsubscribe that one or rename this one)"
            )
        changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
        if spec.secret and row.secret != spec.secret:
            changed["secret"] = spec.secret
        if not row.active and ("address" in changed or row.disabled_reason == REMOVED):
            changed.update(active=True, disabled_reason=None)
        for key, value in changed.items():
            setattr(row, key, value)
        stats.updated += bool(changed)
    for name, row in rows.items():
        if row.from_config and name not in declared and row.active:
            _switch_off(session, row, REMOVED)
            stats.removed += 1
    session.flush()
    return stats


def _config_values(spec: SubscriptionSettings, vocab: Vocabulary, label: str) -> dict[str, Any]:
    try:
        filters = Filters(
            platforms=tuple(spec.platforms),
            actions=tuple(spec.actions),
            targets=tuple(spec.targets),
            keywords=tuple(spec.keywords),
            min_score=spec.min_score,
            updates=spec.updates,
        ).checked(vocab)
    except UnknownName as exc:
        raise ConfigError(f"{label}{exc.kind}s: {exc}") from None
    return {
        "name": spec.name,
        "channel": spec.channel,
        "address": spec.address,
        "filters": filters.to_json(),
        "mode": spec.mode,
    }
