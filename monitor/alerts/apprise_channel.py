"""Apprise channel: any Apprise URL (Slack, Discord, Telegram, Teams, Matrix, ntfy, ...).

One ``Apprise`` object per send, holding just this subscription's URL: nothing is kept in
Apprise's global state between sends. The title is the alert's subject, the body its text
form; Apprise's own warnings about the failure become the recorded error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from monitor.alerts.channel import Message, SendResult
from monitor.errors import AddressRefused, FetchError

if TYPE_CHECKING:
    from monitor.net import AddressPolicy

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Subscription

_SECRETISH = re.compile(r"(?<=://)[^/@\s]+(?=@)|(?<=[/=])[A-Za-z0-9_\-]{16,}")


def masked(url: str) -> str:
    """An Apprise URL with its credentials and long tokens hidden."""
    return _SECRETISH.sub("****", url)


def network_url(url: str) -> str | None:
    """``http://host:port/`` for the network host an Apprise URL names (``json://host/``,
    ``ntfys://host/topic``, ``mailto://user@host``), or None when its first part is a
    service token rather than a host (``discord://1234/token``, ``tgram://bot/chat``): a
    name with a dot, ``localhost`` or an IP address counts as a host."""
    from urllib.parse import urlsplit

    from monitor.net import literal_ip

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    if literal_ip(host) is None and "." not in host.strip(".") and host != "localhost":
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" if port else f"http://{shown}/"


def is_valid(url: str) -> bool:
    """True when Apprise recognises the URL's service."""
    import apprise

    return bool(apprise.Apprise().add(url))


class AppriseChannel:
    """Sends through one Apprise URL."""

    def __init__(
        self, url: str, *, timeout: float = 15.0, policy: AddressPolicy | None = None
    ) -> None:
        self.url = url
        self.timeout = timeout
        # None: the operator's own URL, not checked. A web-form URL's host is checked at
        # each send (Apprise then resolves it again itself: a residual rebinding window).
        self.policy = policy

    @classmethod
    def from_subscription(cls, subscription: Subscription, settings: Settings) -> AppriseChannel:
        from monitor.alerts.channel import address_policy

        policy = address_policy(subscription, settings)
        # The operator's own URL is not checked; a web-form URL's host is, at each send.
        trusted = getattr(subscription, "origin", "operator") != "web"
        return cls(
            subscription.address,
            timeout=settings.alerts.timeout,
            policy=None if trusted else policy,
        )

    def describe(self) -> str:
        return f"apprise {masked(self.url)}"

    def send(self, message: Message) -> SendResult:
        import apprise

        target = network_url(self.url)
        if self.policy is not None and target is not None:
            try:
                self.policy.check_url(target, resolve=True)
            except AddressRefused as exc:
                return SendResult.failed(
                    f"apprise {masked(self.url)}: refused {exc.address} ({exc.rule})", retry=False
                )
            except FetchError as exc:
                return SendResult.failed(f"apprise {masked(self.url)}: {exc}")
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
