"""Checking the platform, action and target names of the web's subscription form, with the
one vocabulary (``monitor.classify.vocabulary``): aliases (X is Twitter), families (Meta)
and the nearest known names for a name that is not known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.classify.vocabulary import UnknownName, load_vocabulary

if TYPE_CHECKING:
    from monitor.alerts.filters import Filters
    from monitor.config import Settings


def validate_filters(settings: Settings, filters: Filters) -> dict[str, str]:
    """Field -> message for the first unknown platform, action or target of each field,
    naming the nearest known names ("platform 'Youtub': ... did you mean YouTube?")."""
    vocab = load_vocabulary(settings.classifier)
    errors: dict[str, str] = {}
    for field, check, values in (
        ("platforms", vocab.check_platform, filters.platforms),
        ("actions", vocab.check_action, filters.actions),
        ("targets", vocab.check_target, filters.targets),
    ):
        for value in values:
            try:
                check(value)
            except UnknownName as exc:
                errors[field] = str(exc)
                break
    return errors
