"""Page clutter for dedupe tests: the same article text wrapped in another site's menus,
sidebars, share prompts and template tags, the way the seed pages carry theirs."""

from __future__ import annotations

import random

MENUS = [
    "World", "Business", "Opinion", "Tech", "Sport", "Culture", "Lifestyle", "Video",
    "Podcasts", "Newsletters", "Subscribe", "Sign in", "Search", "Menu", "Home", "Politics",
    "Science", "Health", "Meanwhile...", "City Listings & Guide",
]  # fmt: skip
HEADLINES = [
    "Stocks slide as trade talks stall in Washington",
    "City council approves new budget for parks and roads",
    "Five things to watch in the markets this week",
    "Local team wins championship after dramatic overtime",
    "Scientists discover new species of frog in the Andes",
    "Google Abandons Plan To Phase Out Third-Party Cookies",
    "LinkedIn Embraces AI Tools For Recruiters",
    "Heatwave expected to break records across the region",
    "Opinion: why the housing crisis keeps getting worse",
    "Review: the best laptops of the year tested",
]
ODDS_AND_ENDS = [
    "{{#rendered}} {{/rendered}}",
    "Advertisement",
    "Share this article",
    "Follow us on Twitter and Facebook",
    "Image caption",
    "RECENT NEWS",
    "Read more",
    "Related stories",
    "© All rights reserved.",
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Comments",
    "Most popular",
    "By Staff Reporter",
    "Updated: 10:28",
]


def with_clutter(text: str, seed: int) -> str:
    """``text`` with a random menu on top, odds and ends between paragraphs and a sidebar
    of other headlines below; the same seed gives the same page."""
    rng = random.Random(seed)
    lines = rng.sample(MENUS, rng.randint(3, 10)) + rng.sample(HEADLINES, rng.randint(0, 4))
    for paragraph in (p for p in text.splitlines() if p.strip()):
        lines.append(paragraph)
        if rng.random() < 0.25:
            lines.append(rng.choice(ODDS_AND_ENDS))
    lines += rng.sample(HEADLINES, rng.randint(1, 5)) + rng.sample(ODDS_AND_ENDS, 3)
    return "\n".join(lines)
