"""The channel registry: a subscription's ``channel`` name -> the class that sends for it.

    channel = channel_for(subscription, settings)

Each channel class builds itself from a subscription (``from_subscription``); adding a
channel is one module and one line here. The channel modules import only the shared types
in ``monitor.alerts.channel``, never this registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from monitor.alerts.apprise_channel import AppriseChannel
from monitor.alerts.channel import Channel, ChannelBuilder
from monitor.alerts.email import EmailChannel
from monitor.alerts.webhook import WebhookChannel
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Subscription

REGISTRY: Mapping[str, ChannelBuilder] = MappingProxyType(
    {
        "email": EmailChannel.from_subscription,
        "webhook": WebhookChannel.from_subscription,
        "apprise": AppriseChannel.from_subscription,
    }
)
CHANNELS: tuple[str, ...] = tuple(REGISTRY)


def channel_for(subscription: Subscription, settings: Settings) -> Channel:
    """The channel a subscription delivers through, configured from it and the settings."""
    build = REGISTRY.get(subscription.channel)
    if build is None:
        raise ConfigError(
            f"subscription {subscription.name!r}: channel = {subscription.channel!r}: "
            f"expected one of {', '.join(CHANNELS)}"
        )
    return build(subscription, settings)
