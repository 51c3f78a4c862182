"""The one exception tree of banwatch.

    BanwatchError
    ├── ConfigError        a setting is missing, malformed or out of range
    ├── SourceError        a feed, site or page could not be used
    │   ├── FetchError     the transport failed (DNS, refused, timeout, 4xx/5xx, too large)
    │   │   └── AddressRefused  the address policy (monitor.net) forbids the URL or address
    │   └── ParseError     bytes arrived but are not a feed / not an article
    ├── StorageError       the database refused or could not be reached
    ├── CorrectionError    a user correction names an event or article that cannot take it
    ├── SchedulerBusy      another daemon schedules this database (``run --once``)
    └── DeliveryError      an alert could not be handed to its channel

The library raises these; only the CLI turns them into one line and an exit code.
"""

from __future__ import annotations


class BanwatchError(Exception):
    """Base of every error banwatch raises on purpose."""

    exit_code = 1


class ConfigError(BanwatchError):
    """settings.toml or the environment holds something banwatch cannot use."""

    exit_code = 2


class SourceError(BanwatchError):
    """A source (feed, site, sitemap, page) could not be used."""


class FetchError(SourceError):
    """The transport failed: DNS, connection, timeout, HTTP error status, size limit."""


class AddressRefused(FetchError):
    """The outbound address policy (``monitor.net``) forbids connecting: a scheme other than
    http(s), or a private/loopback/metadata/... address the operator did not allow.

    ``url`` is the URL asked for (its password masked), ``address`` the host or address
    refused, ``rule`` the rule that refused it (``loopback``, ``private``, ``metadata``,
    ``scheme is not http or https``, ...)."""

    def __init__(self, url: str, address: str, rule: str) -> None:
        self.url = url
        self.address = address
        self.rule = rule
        super().__init__(f"{self.url}: refused {address or 'address'} ({rule})")


class ParseError(SourceError):
    """The response arrived but is not what was expected (not a feed, no article text)."""


class StorageError(BanwatchError):
    """The database could not be opened, migrated or written."""


class CorrectionError(BanwatchError):
    """``events merge|split|dismiss`` names no such event, the same event twice, or an
    article the event does not hold."""

    exit_code = 2


class SchedulerBusy(BanwatchError):
    """``banwatch run --once`` while a daemon schedules the same database."""

    exit_code = 3


class DeliveryError(BanwatchError):
    """An alert could not be delivered through its channel."""
