"""The classifier: (title, text, lexicon) -> verdicts. Pure: no I/O, no database.

    lexicon = load_lexicon(settings.classifier)    # built once, cached
    for verdict in classify(title, text, lexicon):
        print(verdict.platform, verdict.action, verdict.target, verdict.evidence)

``diagnose`` explains an article: the verdicts, the ones under the threshold and every
sentence where a platform met an enforcement verb without being bound to it, and why.
The words live in ``lexicon.toml``; the sentence rules in ``rules.py``; the article-level
reading in ``classifier.py``.

Platforms come out under one canonical name per product ("Twitter" for X and Twitter;
"Facebook" and "Meta" are distinct platforms of the family "Meta", so a 2017 Facebook
takedown reads "Facebook" and a 2024 Meta ban reads "Meta"; App Store -> "Apple",
Google Play -> "Google"). One verdict is given per platform and target: "Twitter bans ads
from RT and Sputnik" gives (Twitter, ad_ban, RT) and (Twitter, ad_ban, Sputnik).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.classify.types import ACTIONS, Verdict

if TYPE_CHECKING:
    from monitor.classify.classifier import Diagnosis, classify, diagnose
    from monitor.classify.lexicon import Lexicon, load_lexicon

RULES_VERSION = "6"

_LAZY = {
    "Diagnosis": "monitor.classify.classifier",
    "classify": "monitor.classify.classifier",
    "diagnose": "monitor.classify.classifier",
    "Lexicon": "monitor.classify.lexicon",
    "load_lexicon": "monitor.classify.lexicon",
}


def __getattr__(name: str) -> Any:
    """The classifier's modules are imported on first use, so that the vocabulary
    (``monitor.classify.vocabulary``) costs a read verb no more than itself."""
    if name == "CLASSIFIER_VERSION":
        from monitor.classify.lexicon import lexicon_version

        return f"{RULES_VERSION}+{lexicon_version()}"
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIONS",
    "CLASSIFIER_VERSION",
    "Diagnosis",
    "Lexicon",
    "Verdict",
    "classify",
    "diagnose",
    "load_lexicon",
]
