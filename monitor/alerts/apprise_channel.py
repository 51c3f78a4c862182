"""Apprise channel: any Apprise URL (Slack, Discord, Telegram, Teams, Matrix, ntfy, ...).

One ``Apprise`` object per send, holding just this subscription's URL: nothing is kept in
Apprise's global state between sends. The title is the alert's subject, the body its text
form; Apprise's own warnings about the failure become the recorded error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from monitor.alerts.channel import Message, SendResult

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Subscription

_SECRETISH = re.compile(r"(?<=://)[^/@\s]+(?=@)|(?<=[/=])[A-Za-z0-9_\-]{16,}")


def masked(url: str) -> str:
    """An Apprise URL with its credentials and long tokens hidden."""
    return _SECRETISH.sub("****", url)


def is_valid(url: str) -> bool:
    """True when Apprise recognises the URL's service."""
    import apprise

    return bool(apprise.Apprise().add(url))


class AppriseChannel:
    """Sends through one Apprise URL."""

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        self.url = url
        self.timeout = timeout

    @classmethod
    def from_subscription(cls, subscription: Subscription, settings: Settings) -> AppriseChannel:
        return cls(subscription.address, timeout=settings.alerts.timeout)

    def describe(self) -> str:
        return f"apprise {masked(self.url)}"

    def send(self, message: Message) -> SendResult:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self.url):
            return SendResult.failed(
                f"apprise {masked(self.url)}: not a URL Apprise knows", retry=False
            )
        problems: list[str] = []

        def collect(entry: Any, _service: Any) -> None:
            text = getattr(entry, "message", None) or str(entry)
            level = str(getattr(entry, "level", "WARNING")).upper()
            if "WARN" in level or "ERROR" in level or "CRIT" in level or level.isdigit():
                problems.append(str(text))

        try:
            result = notifier.notify(
                body=message.text,
                title=message.subject,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=self.timeout,
                log_callback=collect,
            )
        except Exception as exc:  # Apprise plugins raise their own types
            return SendResult.failed(f"apprise {masked(self.url)}: {type(exc).__name__}: {exc}")
        if result:
            return SendResult.sent(f"apprise {getattr(result, 'status', 'ok')}".lower())
        why = problems[-1] if problems else str(getattr(result, "status", "failed"))
        return SendResult.failed(f"apprise {masked(self.url)}: {why}")
