"""The one protocol every alert channel implements, and the types they share.

    channel = WebhookChannel.from_subscription(subscription, settings)
    result = channel.send(message)        # never raises for a transport failure
    channel.describe()                    # 'webhook https://hooks.example/x (secret ****)'

Each channel module builds its channel from a subscription itself; ``monitor.alerts.channels``
is the registry that picks one by the subscription's ``channel`` name. This module imports
no channel.

A channel turns every failure it knows into a ``SendResult`` (``ok=False`` with the reason,
whether a later attempt may succeed, and whether the receiver asked to be left alone), so
the dispatcher records one typed answer per attempt and maps nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Subscription


@dataclass(frozen=True, slots=True)
class Message:
    """One alert or digest, rendered for every channel; ``id`` is the idempotency key."""

    id: str
    kind: str  # event.opened | event.updated | event.reversed | digest
    subject: str
    text: str
    html: str
    payload: dict[str, Any]  # the webhook JSON body
    unsubscribe_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt achieved: recorded on the delivery row."""

    ok: bool
    detail: str  # the receiver's answer or the failure: "http 200", "smtp 250 ...", "timed out"
    retry: bool = True  # on failure: may a later attempt succeed?
    disable: bool = False  # the receiver asked never to be sent to again (webhook 410)

    @classmethod
    def sent(cls, detail: str) -> SendResult:
        return cls(True, detail, retry=False)

    @classmethod
    def failed(cls, detail: str, *, retry: bool = True, disable: bool = False) -> SendResult:
        return cls(False, detail, retry=retry, disable=disable)


class Channel(Protocol):
    """An alert channel: sends one message to one configured address."""

    def send(self, message: Message) -> SendResult: ...

    def describe(self) -> str:
        """The channel and address, secrets masked."""
        ...


class ChannelBuilder(Protocol):
    """How the registry makes a channel: each channel class's ``from_subscription``."""

    def __call__(self, subscription: Subscription, settings: Settings, /) -> Channel: ...


def mask(secret: str | None) -> str:
    """``'whsec_abcdef...'`` -> ``'whsec_ab****'``; never more than a hint."""
    if not secret:
        return ""
    keep = 8 if secret.startswith("whsec_") else 2
    return secret[:keep] + "****"
