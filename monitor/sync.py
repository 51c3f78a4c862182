"""settings.toml mirrored into the database: the one place configuration is written.

    sync_config(session, settings)

Called by ``banwatch init``, the daemon's housekeeping job and ``banwatch digest --send``
(which must reach the subscribers the file declares). Listing verbs never call it: they
read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.alerts.subscriptions import SyncStats, sync_config_subscriptions
from monitor.sources import sync_sources

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.config import Settings


@dataclass(frozen=True, slots=True)
class ConfigSync:
    """What one ``sync_config`` changed."""

    subscriptions: SyncStats

    def __str__(self) -> str:
        return f"sources in sync; {self.subscriptions}"


def sync_config(session: Session, settings: Settings) -> ConfigSync:
    """Make the source and subscription tables mirror settings.toml, in the caller's
    transaction: new entries added, changed ones updated, removed ones switched off."""
    sync_sources(session, settings)
    return ConfigSync(subscriptions=sync_config_subscriptions(session, settings))
