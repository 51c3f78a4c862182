"""Each pitfall of issue 5, point 2, in both directions: the look-alike that must not fire
and the real ban beside it that must. Sentences written for these tests (not taken from
the dev set), so they also check that the rules generalise."""

from __future__ import annotations

import pytest

from monitor.classify import classify, diagnose, load_lexicon


def verdicts(text: str, title: str = "") -> set[tuple[str, str, str]]:
    return {(v.platform, v.action, v.target) for v in classify(title, text, load_lexicon())}


# (pitfall, must fire: text and expected (platform, action, target), must not fire: text)
CASES = [
    (
        "government acts against a platform",
        "Twitter suspended the account of Press TV on Monday.",
        ("Twitter", "suspension", "Press TV"),
        "Russia blocks Twitter and Facebook in a widening crackdown.",
    ),
    (
        "regulator restricts a platform",
        "YouTube restricted access to the channels of Sputnik in Germany.",
        ("YouTube", "geo_block", "Sputnik"),
        "The Turkish regulator restricted access to YouTube for twelve hours.",
    ),
    (
        "court orders a platform",
        "X removed the posts of the Wagner Group after a review.",
        ("Twitter", "removal", "Wagner Group"),
        "A court ordered X to remove posts by the Wagner Group within 24 hours.",
    ),
    (
        "call to ban",
        "YouTube banned the channel of Infowars on Monday.",
        ("YouTube", "ban", "Infowars"),
        "Lawmakers urged YouTube to ban the channel of Infowars.",
    ),
    (
        "threat to ban",
        "Telegram blocked the channels of Hamas for users in Europe.",
        ("Telegram", "geo_block", "Hamas"),
        "Telegram threatened to block the channels of Hamas if they kept posting videos.",
    ),
    (
        "hedge",
        "Spotify removed the podcast of Alex Jones.",
        ("Spotify", "removal", "Alex Jones"),
        "Spotify could remove the podcast of Alex Jones, people familiar with the matter said.",
    ),
    (
        "negation",
        "Apple pulled the RT News app from the App Store.",
        ("Apple", "app_removal", "RT"),
        "Apple has not pulled the RT News app from the App Store.",
    ),
    (
        "lifted ban is a reinstatement, not a ban",
        "Meta lifted its ban on Donald Trump's Facebook account on Thursday.",
        ("Meta", "reinstatement", "Donald Trump"),
        "Meta lifted its ban on Donald Trump's Facebook account on Thursday.",
    ),
    (
        "platform only as context",
        "Instagram banned the account of Andrew Tate.",
        ("Instagram", "ban", "Andrew Tate"),
        "Andrew Tate said on Instagram that he had been banned from driving.",
    ),
    (
        "follow us on",
        "TikTok has removed 200 fake accounts linked to Spamouflage.",
        ("TikTok", "network_takedown", "Spamouflage"),
        "Follow us on TikTok, Twitter and Facebook. Banned from the stadium for life.",
    ),
    (
        "sports ban",
        "Twitch banned the streamer Dr Lupo for hateful conduct.",
        ("Twitch", "ban", "Dr Lupo"),
        "The league banned the player for six matches, officials said on Twitch.",
    ),
    (
        "drug ban",
        "Reddit banned the forum r/WallStreetBets_Leaks for doxxing.",
        ("Reddit", "ban", "r/WallStreetBets_Leaks"),
        "The agency banned the drug after a TikTok trend, and YouTube reported the news.",
    ),
    (
        "product ban",
        "Amazon suspended the seller account of Tonight Shop for fake reviews.",
        ("Amazon", "suspension", "Tonight Shop"),
        "Amazon banned the sale of cannabis products on its marketplace.",
    ),
    (
        "ad-category policy",
        "Google banned ads from Sputnik across its network.",
        ("Google", "ad_ban", "Sputnik"),
        "Google banned political ads for a week after the election.",
    ),
]


@pytest.mark.parametrize(
    ("pitfall", "positive", "expected", "negative"), CASES, ids=[c[0] for c in CASES]
)
def test_pitfall_both_directions(
    pitfall: str, positive: str, expected: tuple[str, str, str], negative: str
) -> None:
    assert expected in verdicts(positive), f"{pitfall}: the real action was missed"
    if pitfall.startswith("lifted"):
        found = verdicts(negative)
        assert all(action == "reinstatement" for _, action, _ in found), found
    else:
        assert verdicts(negative) == set(), f"{pitfall}: the look-alike fired"


def test_clutter_in_both_directions() -> None:
    story = "YouTube terminated the channel of Redfish on Tuesday after a review."
    clutter = (
        "Markets were calm on Tuesday as investors waited for the central bank.\n"
        "RECENT NEWS\n"
        "YouTube terminated the channel of Redfish\n"
        "Twitter suspends Press TV account\n"
        "{{#rendered}} Meta removes RT pages {{/rendered}}\n"
    )
    assert ("YouTube", "ban", "Redfish") in verdicts(story)
    assert verdicts(clutter, title="Markets calm before rate decision") == set()
    misses = diagnose("Markets calm", clutter, load_lexicon()).misses
    assert any("clutter" in m.reason for m in misses)


def test_menu_runs_are_clutter_but_the_story_below_counts() -> None:
    text = (
        "World\nTech\nFacebook Blocks 50 Fake Accounts Linked to Redfish\nBusiness\n"
        "Opinion\n"
        "Facebook said on Friday that it had removed 50 accounts run by Redfish, a "
        "Berlin-based outlet funded by the Russian state.\n"
    )
    found = classify("A quiet Friday", text, load_lexicon())
    assert {(v.platform, v.target) for v in found} == {("Facebook", "Redfish")}
    assert all(v.evidence.startswith("Facebook said on Friday") for v in found)


def test_template_tags_are_blanked_not_read() -> None:
    text = "{{#rendered}}Twitter bans RT{{/rendered}} Weather: sunny, with light winds."
    assert verdicts(text) == set()


def test_passive_voice_binds_the_platform_after_by() -> None:
    assert ("YouTube", "ban", "Press TV") in verdicts("Press TV was banned by YouTube in 2019.")
    assert verdicts("Press TV was banned by Ofcom, the British regulator.") == set()


def test_state_department_designation_is_not_a_platform_ban() -> None:
    text = (
        "The State Department designated RT and two executives for covert influence "
        "activities. Officials said they were taking action against the network."
    )
    assert verdicts(text, title="US sanctions RT") == set()


def test_background_mention_of_an_old_ban_is_not_a_new_one() -> None:
    text = "Trump launched Truth Social a year after he was banned from Twitter and Facebook."
    assert verdicts(text, title="Truth Social turns two") == set()


def test_near_miss_names_the_reason() -> None:
    diagnosis = diagnose(
        "", "Lawmakers urged YouTube to ban the channel of Infowars.", load_lexicon()
    )
    assert diagnosis.verdicts == []
    ((sentence, reason),) = diagnosis.nearest_misses()
    assert "YouTube" in reason and "call" in reason
    assert sentence.startswith("Lawmakers urged")
