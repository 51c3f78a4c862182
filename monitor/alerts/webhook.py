"""Webhook channel: POST the JSON body, signed the Standard Webhooks way.

Headers (https://www.standardwebhooks.com):

    webhook-id:         the delivery's idempotency key (the same on every retry)
    webhook-timestamp:  seconds since the epoch of this attempt
    webhook-signature:  "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))

The key is the base64-decoded part of a ``whsec_<base64>`` secret, or the UTF-8 bytes of
any other secret. Several secrets separated by spaces (key rotation) give several
signatures separated by spaces; a receiver accepts the message if any one verifies.

A 2xx answer is success; 410 Gone disables the subscription; anything else (another
status, a redirect, a refused connection, a timeout) is retried later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from monitor.alerts.channel import Message, SendResult, mask
from monitor.errors import AddressRefused, FetchError
from monitor.masking import mask_url
from monitor.net import AddressPolicy

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.models import Subscription

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "banwatch-webhook/0.1"


def secret_keys(secret: str | None) -> list[bytes]:
    """HMAC keys of a (possibly space-separated, rotating) secret."""
    keys = []
    for part in (secret or "").split():
        if part.startswith("whsec_"):
            keys.append(base64.b64decode(part.removeprefix("whsec_")))
        else:
            keys.append(part.encode("utf-8"))
    return keys


def sign(secret: str | None, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<sig>`` per key, space-separated."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        for key in secret_keys(secret)
    )


def verify(
    secret: str, headers: dict[str, str], body: bytes, *, tolerance: int | None = 300
) -> bool:
    """True when one signature in ``headers`` matches (what a receiver does)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp = lower.get("webhook-id", ""), lower.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    if tolerance is not None and abs(time.time() - int(stamp)) > tolerance:
        return False
    expected = set(sign(secret, msg_id, int(stamp), body).split())
    given = lower.get("webhook-signature", "").split()
    return any(hmac.compare_digest(g, e) for g in given for e in expected)


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookChannel:
    """POSTs the message's JSON payload to one URL."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        timeout: float = 15.0,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        # Connections go only where the address policy allows, checked on the address
        # actually connected to. Without a policy the URL is the operator's own (trusted).
        # A redirect is never followed: the receiver has not got the alert; retry later.
        policy = policy or AddressPolicy.build([url])
        self._opener = policy.opener(redirects=False)

    @classmethod
    def from_subscription(cls, subscription: Subscription, settings: Settings) -> WebhookChannel:
        from monitor.alerts.channel import address_policy

        return cls(
            subscription.address,
            subscription.secret,
            timeout=settings.alerts.timeout,
            policy=address_policy(subscription, settings),
        )

    def describe(self) -> str:
        signed = f" (secret {mask(self.secret)})" if self.secret else " (unsigned)"
        return f"webhook {mask_url(self.url)}{signed}"

    def send(self, message: Message, *, timestamp: int | None = None) -> SendResult:
        shown = mask_url(self.url)
        if not self.url.lower().startswith(("http://", "https://")):
            return SendResult.failed(f"{shown}: expected an http(s) URL", retry=False)
        body = encode_body(message.payload)
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message.id,
            "webhook-timestamp": str(stamp),
        }
        if self.secret:
            headers["webhook-signature"] = sign(self.secret, message.id, stamp, body)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(MAX_RESPONSE_BYTES)
                return SendResult.sent(f"http {response.status}")
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 410:
                return SendResult.failed("http 410 Gone", retry=False, disable=True)
            return SendResult.failed(f"http {exc.code} {exc.reason}".strip())
        except AddressRefused as exc:
            return SendResult.failed(str(exc), retry=False)
        except FetchError as exc:  # the name did not resolve
            return SendResult.failed(str(exc))
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, AddressRefused):
                return SendResult.failed(str(exc.reason), retry=False)
            return SendResult.failed(f"{shown}: {exc.reason}")
        except (TimeoutError, OSError, ValueError) as exc:
            return SendResult.failed(f"{shown}: {type(exc).__name__}: {exc}")
