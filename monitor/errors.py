"""The one exception tree of banwatch.

    BanwatchError
    ├── ConfigError        a setting is missing, malformed or out of range
    ├── SourceError        a feed, site or page could not be used
    │   ├── FetchError     the transport failed (DNS, refused, timeout, 4xx/5xx, too large)
    │   └── ParseError     bytes arrived but are not a feed / not an article
    ├── StorageError       the database refused or could not be reached
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


class ParseError(SourceError):
    """The response arrived but is not what was expected (not a feed, no article text)."""


class StorageError(BanwatchError):
    """The database could not be opened, migrated or written."""


class DeliveryError(BanwatchError):
    """An alert could not be delivered through its channel."""
