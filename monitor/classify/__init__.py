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

from monitor.classify.classifier import Diagnosis, classify, diagnose
from monitor.classify.lexicon import Lexicon, lexicon_version, load_lexicon
from monitor.classify.types import ACTIONS, Verdict

RULES_VERSION = "1"
CLASSIFIER_VERSION = f"{RULES_VERSION}+{lexicon_version()}"

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
