"""The classifier's public data types (pure: no I/O, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What a platform did: the one list of actions (lexicon.toml's ``families`` must
    place each in one family, and the rules' action tables produce only these)."""

    AD_BAN = "ad_ban"
    SUSPENSION = "suspension"
    BAN = "ban"
    REMOVAL = "removal"
    NETWORK_TAKEDOWN = "network_takedown"
    DEMONETISATION = "demonetisation"
    RESTRICTION = "restriction"
    LABEL = "label"
    APP_REMOVAL = "app_removal"
    GEO_BLOCK = "geo_block"
    REINSTATEMENT = "reinstatement"


ACTIONS = tuple(a.value for a in Action)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One enforcement action found in one article.

    ``target`` is the display name (canonical when the target is on the watchlist, else the
    phrase found); ``target_key`` is its normalised form, the key events are grouped by
    ("Russia Today" and "RT" share one key). ``evidence`` is the sentence that proves it;
    ``rules`` names the rules that fired; ``spans`` are (start, end) offsets of the matched
    words inside ``evidence`` so alerts can highlight them.
    """

    platform: str
    action: str
    target: str
    target_key: str
    score: float
    evidence: str
    scale: str | None = None
    rules: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "action": self.action,
            "target": self.target,
            "scale": self.scale,
            "score": round(self.score, 3),
            "evidence": self.evidence,
        }
