"""Platform and action names for the web's filters (a stand-in until the one alias and
family system of ``monitor`` is there): aliases from the classifier's lexicon and settings,
families (``Meta`` covers Facebook, Instagram, WhatsApp and Threads), and the nearest known
names for a name that is not known.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from monitor.alerts.filters import Filters, aliases_for, fold
from monitor.classify.types import ACTIONS

if TYPE_CHECKING:
    from monitor.config import Settings


def _lexicon(settings: Settings):  # type: ignore[no-untyped-def]
    from monitor.classify.lexicon import load_lexicon

    return load_lexicon(settings.classifier)


def known_platforms(settings: Settings) -> dict[str, str]:
    """Folded name -> canonical platform, for every platform, alias and family name."""
    lexicon = _lexicon(settings)
    out: dict[str, str] = {}
    for name, aliases in lexicon.platforms.items():
        out[fold(name)] = name
        for alias in aliases:
            out.setdefault(fold(alias), name)
    for family in lexicon.families.values():
        out.setdefault(fold(family), family)
    return out


def platform_names(settings: Settings, value: str) -> set[str]:
    """Every folded platform name an event may carry for a filter on ``value``: its aliases,
    and every member of the family when ``value`` names one."""
    lexicon = _lexicon(settings)
    aliases = aliases_for(settings)
    names = aliases.names(value)
    folded = fold(value)
    for member, family in lexicon.families.items():
        if fold(family) in names or fold(family) == folded:
            names |= aliases.names(member)
    return names


def nearest(name: str, choices: list[str]) -> list[str]:
    by_fold = {fold(c): c for c in choices}
    close = difflib.get_close_matches(fold(name), list(by_fold), n=3, cutoff=0.6)
    return [by_fold[c] for c in close]


def validate_filters(settings: Settings, filters: Filters) -> dict[str, str]:
    """Field -> message for each unknown platform or action, naming the nearest names."""
    errors: dict[str, str] = {}
    platforms = known_platforms(settings)
    for name in filters.platforms:
        if fold(name) not in platforms:
            close = difflib.get_close_matches(fold(name), list(platforms), n=6, cutoff=0.6)
            near = list(dict.fromkeys(platforms[c] for c in close))[:3]
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            errors["platforms"] = f"unknown platform {name!r}{hint}"
            break
    for action in filters.actions:
        if action not in ACTIONS:
            near = nearest(action, list(ACTIONS))
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            errors["actions"] = f"unknown action {action!r}{hint}"
            break
    return errors
