"""The subscription form: what a stranger typed, checked before anything is stored.

- ``channel`` is ``email`` (double opt-in: stored switched off until the confirmation
  link is followed) or ``webhook`` (its URL must pass the outbound address policy:
  loopback, private, link-local, metadata and non-http(s) addresses are refused unless
  ``[network] allow`` names them; its signing secret is shown once);
- filters (platforms, actions, targets, comma-separated) are validated: an unknown platform
  or action is refused with the nearest known names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.alerts.filters import Filters
from monitor.web.params import BadRequest

if TYPE_CHECKING:
    from monitor.config import Settings

CHANNELS = ("email", "webhook")
MODES = ("instant", "digest", "both")
_EMAIL = re.compile(
    r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$|^[^@\s<>,;\"]{1,64}@localhost$"
)


@dataclass(frozen=True, slots=True)
class SubscribeForm:
    """A valid subscription request."""

    channel: str
    address: str
    filters: Filters
    mode: str
    errors: dict[str, str] = field(default_factory=dict)


def split_names(raw: str | None) -> tuple[str, ...]:
    return tuple(n for n in (" ".join(p.split()) for p in (raw or "").split(",")) if n)


def check_filters(settings: Settings, filters: Filters) -> dict[str, str]:
    """Field -> message for each unknown platform or action, with the nearest names."""
    from monitor.web.names import validate_filters

    return validate_filters(settings, filters)


def parse_subscribe(
    settings: Settings, form: Mapping[str, str]
) -> tuple[SubscribeForm, dict[str, str]]:
    """The form as a ``SubscribeForm`` and the errors (field -> message), empty when valid."""
    errors: dict[str, str] = {}
    channel = (form.get("channel") or "email").strip()
    if channel not in CHANNELS:
        errors["channel"] = f"choose one of: {', '.join(CHANNELS)}"
    address = (form.get("address") or "").strip()
    mode = (form.get("mode") or "instant").strip()
    if mode not in MODES:
        errors["mode"] = f"choose one of: {', '.join(MODES)}"
    if len(address) > 2000:
        errors["address"] = "at most 2000 characters"
    elif channel == "email" and not _EMAIL.match(address):
        errors["address"] = "expected a mail address like analyst@example.org"
    elif channel == "webhook":
        refusal = webhook_refusal(settings, address)
        if refusal:
            errors["address"] = refusal
    actions = tuple(
        re.sub(r"[\s\-]+", "_", a.casefold())
        for a in (*split_names(form.get("actions")), *_many(form, "action"))
    )
    filters = Filters(
        platforms=split_names(form.get("platforms")),
        actions=tuple(dict.fromkeys(actions)),
        targets=split_names(form.get("targets")),
        keywords=split_names(form.get("keywords")),
        min_score=_score(form.get("min_score"), errors),
        updates=form.get("updates") in ("1", "on", "true"),
    )
    for key, values in (
        ("platforms", filters.platforms),
        ("targets", filters.targets),
        ("keywords", filters.keywords),
    ):
        if len(values) > 50 or any(len(v) > 100 for v in values):
            errors[key] = "at most 50 names of at most 100 characters"
    if not errors:
        errors.update(check_filters(settings, filters))
    return SubscribeForm(channel, address, filters, mode), errors


def _score(raw: str | None, errors: dict[str, str]) -> float:
    text = (raw or "").strip()
    if not text:
        return 0.0
    if not re.match(r"^(0(\.[0-9]{1,3})?|1(\.0{1,3})?)$", text):
        errors["min_score"] = "expected a number from 0 to 1, like 0.6"
        return 0.0
    return float(text)


def _many(form: Mapping[str, str], key: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    return [str(v) for v in getlist(key)] if getlist else []


def webhook_refusal(settings: Settings, url: str) -> str | None:
    """Why the outbound address policy refuses ``url`` as a webhook typed in from outside,
    or ``None`` when it may be used."""
    from monitor.errors import AddressRefused, BanwatchError
    from monitor.net import AddressPolicy

    if not re.match(r"(?i)^https?://[^\s/?#]+", url):
        return "expected an http:// or https:// URL"
    try:
        AddressPolicy.from_settings(settings).check_url(url, resolve=True)
    except AddressRefused as exc:
        # The rule, not the address: a stranger learns nothing of what internal names
        # resolve to.
        return f"refused: a webhook must be a public address ({exc.rule})"
    except BanwatchError:
        return "refused: its host name does not resolve to a public address"
    return None


def raise_for(errors: dict[str, str]) -> None:
    if errors:
        field_name, message = next(iter(errors.items()))
        raise BadRequest(f"{field_name}: {message}", 422)
