"""The classifier's public data types (pure: no I/O, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field

ACTIONS = (
    "ad_ban",
    "suspension",
    "ban",
    "removal",
    "network_takedown",
    "demonetisation",
    "restriction",
    "label",
    "app_removal",
    "geo_block",
    "reinstatement",
)


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
