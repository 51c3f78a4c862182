"""Event matching that follows how outlets report one ban (monitor.events scoring,
monitor.dedupe name and text measures), report times (monitor.extract), and the grouping
figures the issue asks for on the development data, held where the data lies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from monitor import dedupe
from monitor.classify import load_lexicon
from monitor.config import Settings, settings_from_dict
from monitor.db import session_scope
from monitor.evaluate import evaluate_file
from monitor.events import earliest
from monitor.extract import DAY, FULL, MONTH, Document
from monitor.ingest import ingest_document
from monitor.models import Event
from tests.test_events import T0, report

DATA = Path(__file__).parent / "data"
COVERAGE = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "coverage"


@pytest.fixture
def settings() -> Settings:
    return settings_from_dict({"events": {"window": "14d"}})


def test_name_agreement() -> None:
    assert dedupe.name_agreement("kestrel media", "kestrel media") == 1.0
    assert dedupe.name_agreement("kestrel", "kestrel media") == 0.8
    assert dedupe.name_agreement("oann", "one america news network") == 0.8
    assert dedupe.name_agreement("zerohedge", "zero hedge") == 1.0
    assert dedupe.name_agreement(
        "network linked to russia and china", "network linked to china russia and turkey"
    ) == 0.8  # fmt: skip
    assert dedupe.name_agreement("network linked to iran", "network linked to china") == -1.0
    assert dedupe.name_agreement("harbor truth", "nova frontier news") == -1.0
    assert dedupe.name_agreement("", "nova frontier news") == 0.0


def test_names_are_compared_folded_and_found_in_text_as_whole_words() -> None:
    assert dedupe.fold("Dieudonné") == "dieudonne"
    assert dedupe.name_agreement("nicolás maduro", "nicolas maduro") == 1.0
    assert dedupe.fold_key("HKmap.live") == "hkmap live"
    text = dedupe.Mentions.of("DrVortex lost the HKmap.live app; pro-China pages went too.")
    assert text.names("dr vortex") and text.names(dedupe.fold_key("HKmap.live"))
    assert text.names("network linked to china")
    assert not text.names("vortex") and not text.names("network linked to iran")
    assert not dedupe.Mentions.of("Vortexes of pages").names("vortex")
    # A surname written as a name names the person; the word in lower case does not.
    assert dedupe.Mentions.of("Twitter said Trump broke its rules.").names("donald trump")
    assert not dedupe.Mentions.of("a trip out west").names("kanye west")
    # An unnamed network and the adjective of its origin name one network; another name
    # may be the network's owner ("tied to Bolsonaro's aides"): unknown, not different.
    assert dedupe.name_agreement("moldovan", "network linked to moldova") == 0.8
    assert dedupe.name_agreement("kestrel", "network linked to moldova") == 0.0
    assert dedupe.name_agreement("network linked to iran", "network linked to moldova") == -1.0
    # A word's other ending is the same word; another word is another name.
    assert dedupe.name_agreement("querdenken bewegung", "querdenker bewegung") == 0.8
    assert dedupe.name_agreement("kestrel media", "kestrel daily") == -1.0
    assert dedupe.name_agreement("robinson", "robertson") == -1.0
    # Initials of a run of words; other initials are another name.
    assert dedupe.name_agreement("ny post", "new york post") == 0.8
    assert dedupe.name_agreement("ny times", "new york post") == -1.0
    # A network's origin is named by its people's word too.
    army = dedupe.Mentions.of("The Royal Thai Army denied it; Turkish accounts too.")
    assert army.names("network linked to thailand") and army.names("network linked to turkey")
    assert not army.names("network linked to iran")


def test_names_and_numbers_weigh_more_than_the_words_around_them() -> None:
    terms = dedupe.weighted_terms("Twitter banned the account of Dana Roth, 470, on Monday.")
    assert terms["roth"] == terms["dana"] == terms["470"] == dedupe.ENTITY_WEIGHT
    assert terms["banned"] == terms["account"] == 1.0
    assert "twitter" in terms and terms["twitter"] == 1.0  # opens the sentence
    # A headline in title case says nothing about which words are names.
    assert set(dedupe.weighted_terms("Twitter Bans Dana Roth Over Post").values()) == {1.0}
    same = dedupe.text_similarity(terms, dedupe.weighted_terms("Dana Roth was banned, 470."))
    assert same > dedupe.text_similarity({"roth": 1.0, "banned": 1.0, "account": 1.0}, terms) > 0
    assert dedupe.text_similarity(terms, dedupe.weighted_terms("Roth")) == 0.0  # one word
    # Handles and subreddits are names however they are written.
    handles = dedupe.weighted_terms("reddit bans r/incels and @flightbot, not foo/bar")
    assert handles["incels"] == handles["flightbot"] == dedupe.ENTITY_WEIGHT
    assert handles["bar"] == handles["reddit"] == 1.0


def test_a_shortened_name_joins_the_ban(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        a = report(
            session,
            settings,
            ("YouTube", "ban", "Kestrel Media"),
            title="YouTube bans Kestrel Media",
        )
        b = report(session, settings, ("YouTube", "removal", "Kestrel"), outlet="b.example",
                   at=T0 + timedelta(hours=4), title="Kestrel loses its YouTube channel")  # fmt: skip
        assert b.opened == [] and b.updated == a.opened


def test_same_platform_same_day_another_target_stays_apart(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("YouTube", "ban", "Nova Frontier News"),
                   title="YouTube terminates militia channel Nova Frontier News")  # fmt: skip
        b = report(session, settings, ("YouTube", "ban", "Harbor Truth"), outlet="b.example",
                   at=T0 + timedelta(hours=3), title="YouTube bans Harbor Truth for hate speech")  # fmt: skip
        assert b.opened and b.opened != a.opened


def test_the_same_target_months_later_is_a_new_ban(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("YouTube", "ban", "Kestrel Media"))
        b = report(session, settings, ("YouTube", "ban", "Kestrel Media"), outlet="b.example",
                   at=T0 + timedelta(days=120))  # fmt: skip
        assert b.opened and b.opened != a.opened


def test_a_report_naming_no_one_joins_by_its_words(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Facebook", "removal", "Britain First"),
                   title="Facebook removes Britain First pages after final warning")  # fmt: skip
        b = report(session, settings, ("Facebook", "removal", "pages"), outlet="b.example",
                   at=T0 + timedelta(hours=2),
                   title="Britain First pages removed by Facebook after a final warning")  # fmt: skip
        assert b.updated == a.opened
        c = report(session, settings, ("Facebook", "removal", "pages"), outlet="c.example",
                   at=T0 + timedelta(hours=3), title="Weather apps lose pages")  # fmt: skip
        assert c.opened


# Two reports of one ban whose target keys differ: the text of one names the other's target.
_SERVER = ("Discord removed the Harbor Traders server after repeated warnings to its "
           "administrators about hateful and violent content, the company said on Wednesday. "
           "The chat group had drawn thousands of amateur investors behind the Ridgeline Motors "
           "share rally.")  # fmt: skip
_SERVER_TOO = ("The chat server where the amateur investors behind the Ridgeline Motors rally "
               "gathered was shut by Discord on Wednesday over hateful and violent content, "
               "after repeated warnings to its administrators. It was called Harbor Traders.")  # fmt: skip


@pytest.mark.parametrize("order", ["named in the report", "named in the event"])
def test_different_keys_join_when_the_text_names_the_other_target_and_agrees(
    engine: Engine, settings: Settings, order: str
) -> None:
    first = ("Discord", "ban", "Harbor Traders"), "Discord bans Harbor Traders", _SERVER
    second = (("Discord", "ban", "Ridgeline Motors"),
              "Discord says the ban was about hate, not Ridgeline Motors", _SERVER_TOO)  # fmt: skip
    if order == "named in the event":
        first, second = second, first
    with session_scope(engine) as session:
        a = report(session, settings, first[0], title=first[1], text=first[2])
        b = report(session, settings, second[0], title=second[1], text=second[2],
                   outlet="b.example", at=T0 + timedelta(hours=3))  # fmt: skip
        assert b.opened == [] and b.updated == a.opened


def test_one_person_named_in_anothers_story_stays_apart(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Twitter", "suspension", "Dana Roth"),
                   title="Dana Roth suspended on X over post about a journalist",
                   text="Dana Roth, the commentator, was suspended from X on Tuesday after she "
                        "posted the home address of a journalist. Her appeal was rejected.")  # fmt: skip
        b = report(session, settings, ("Twitter", "suspension", "Kestrel Media"),
                   title="X suspends Kestrel Media over hacked files", outlet="b.example",
                   at=T0 + timedelta(hours=5),
                   text="X suspended Kestrel Media on Tuesday for sharing hacked files. The "
                        "outlet, founded by Dana Roth, said it would move to Telegram.")  # fmt: skip
        assert b.opened and b.opened != a.opened
        # Nor does the person's story join the outlet's: it names neither the outlet's
        # target nor tells the same story.
        c = report(session, settings, ("Twitter", "suspension", "Dana Roth"), outlet="c.example",
                   at=T0 + timedelta(hours=6), title="Dana Roth loses her X account")  # fmt: skip
        assert c.updated == a.opened


def test_same_platform_same_day_another_target_named_in_passing_stays_apart(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("YouTube", "ban", "Nova Frontier News"),
                   title="YouTube terminates militia channel Nova Frontier News",
                   text="YouTube terminated Nova Frontier News for inciting violence.")  # fmt: skip
        b = report(session, settings, ("YouTube", "ban", "Harbor Truth"), outlet="b.example",
                   at=T0 + timedelta(hours=3), title="YouTube bans Harbor Truth",
                   text="YouTube banned Harbor Truth for medical misinformation, a day after "
                        "it removed Nova Frontier News.")  # fmt: skip
        assert b.opened and b.opened != a.opened


def test_an_event_opened_without_a_name_is_joined_by_the_name(
    engine: Engine, settings: Settings
) -> None:
    body = ("Twitter suspended several accounts that follow private jets, among them "
            "@FlightBot, which tracked the plane of its owner. Its creator, Sam Quill, said "
            "the notice called the suspension permanent.")  # fmt: skip
    with session_scope(engine) as session:
        a = report(session, settings, ("Twitter", "suspension", "accounts"),
                   title="Twitter suspends jet-tracking accounts", text=body)  # fmt: skip
        b = report(session, settings, ("Twitter", "suspension", "FlightBot"), outlet="b.example",
                   at=T0 + timedelta(hours=2), title="@FlightBot permanently suspended",
                   text="Twitter has permanently suspended @FlightBot, the account that tracked "
                        "its owner's private jet, its creator Sam Quill said.")  # fmt: skip
        assert b.opened == [] and b.updated == a.opened
        # A named event of another jet tracker the same day is another ban.
        c = report(session, settings, ("Twitter", "suspension", "Harbor Truth"), outlet="c.example",
                   at=T0 + timedelta(hours=3), title="Twitter suspends Harbor Truth",
                   text="Twitter suspended the news site Harbor Truth over election claims.")  # fmt: skip
        assert c.opened


def test_a_side_naming_no_one_joins_only_on_a_name_the_texts_share(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("YouTube", "ban", "channel"),
                   title="YouTube terminates a militia channel",
                   text="YouTube terminated the channel of Nova Frontier News on Wednesday, "
                        "citing its policy on violent extremism and hate.")  # fmt: skip
        # Another ban of that day, worded alike but naming someone else: apart.
        b = report(session, settings, ("YouTube", "ban", "Harbor Truth"), outlet="b.example",
                   at=T0 + timedelta(hours=2), title="YouTube bans a channel over hate",
                   text="YouTube banned the channel Harbor Truth on Wednesday, citing its "
                        "policy on hate.")  # fmt: skip
        assert b.opened and b.opened != a.opened
        # Neither names anyone, and they share no name: apart.
        c = report(session, settings, ("YouTube", "ban", "channel"), outlet="c.example",
                   at=T0 + timedelta(hours=3), title="YouTube terminates a channel",
                   text="YouTube terminated the channel of Ridgeline Watch on Wednesday, "
                        "citing its policy on violent extremism and hate.")  # fmt: skip
        assert c.opened and c.opened not in (a.opened, b.opened)
        # Naming no one but sharing the name: the same ban.
        d = report(session, settings, ("YouTube", "ban", "channel"), outlet="d.example",
                   at=T0 + timedelta(hours=4), title="Militia channel gone from YouTube",
                   text="The channel of Nova Frontier News, tied to a militia, was terminated "
                        "by YouTube for violent extremism.")  # fmt: skip
        assert d.updated == a.opened


def test_a_report_dated_to_the_month_matches_within_that_month_not_before(
    engine: Engine, settings: Settings
) -> None:
    lexicon = load_lexicon()
    august = datetime(2018, 8, 15, 12, tzinfo=UTC)
    september = datetime(2018, 9, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        timeout = ingest_document(session, Document(
            url="https://a.example/timeout", title="Twitter suspends Alex Jones for a week",
            text="Twitter suspended Alex Jones for a week over a video.", published_at=august,
        ), settings, lexicon, now=august)  # fmt: skip
        ban = ingest_document(session, Document(
            url="https://b.example/ban", title="Twitter bans Alex Jones for good",
            text="Twitter permanently banned Alex Jones this month.", published_at=september,
            published_precision=MONTH,
        ), settings, lexicon, now=september + timedelta(days=31))  # fmt: skip
        assert ban.opened and ban.opened != timeout.opened  # the August ban is another
        later = ingest_document(session, Document(
            url="https://c.example/ban", title="Alex Jones banned from Twitter for good",
            text="Twitter has banned Alex Jones permanently, the company said.",
            published_at=datetime(2018, 9, 28, 9, tzinfo=UTC),
        ), settings, lexicon, now=datetime(2018, 9, 28, 10, tzinfo=UTC))  # fmt: skip
        assert later.updated == ban.opened  # within the month the report was dated to


def test_a_wrong_name_joins_the_person_its_text_names_by_surname(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Twitter", "ban", "Donald Trump"),
                   title="Twitter permanently suspends Donald Trump",
                   text="Twitter permanently suspended Donald Trump's account, citing the risk "
                        "of further incitement of violence after the riot.")  # fmt: skip
        # The verdict named a bystander; the text names the banned man by surname only.
        b = report(session, settings, ("Twitter", "ban", "Parler"), outlet="b.example",
                   at=T0 + timedelta(hours=3), title="Supporters head for Parler",
                   text="Twitter closed the account of Trump for good, citing the risk of "
                        "further incitement of violence after the riot; supporters moved to "
                        "Parler.")  # fmt: skip
        assert b.updated == a.opened
        # Another person's story of that day, naming no one in its verdict: apart.
        c = report(session, settings, ("Twitter", "ban", "account"), outlet="c.example",
                   at=T0 + timedelta(hours=4), title="Another account closed",
                   text="Twitter closed the account of Sidney Powell for spreading election "
                        "conspiracies.")  # fmt: skip
        assert c.opened


def test_an_accented_name_and_its_plain_spelling_are_one_ban(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Facebook", "suspension", "Nicolás Maduro"))
        b = report(session, settings, ("Facebook", "suspension", "Nicolas Maduro"),
                   outlet="b.example", at=T0 + timedelta(hours=5))  # fmt: skip
        assert b.opened == [] and b.updated == a.opened


def test_facebook_and_instagram_are_one_ban_other_platforms_their_own(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Instagram", "ban", "Aurora Vance"),
                   ("Facebook", "ban", "Aurora Vance"), ("Twitter", "ban", "Aurora Vance"))  # fmt: skip
        assert len(a.opened) == 2  # Meta's products one event, Twitter another
        b = report(session, settings, ("Facebook", "removal", "Aurora Vance"), outlet="b.example")
        assert b.opened == [] and len(b.updated) == 1


def test_an_article_naming_two_events_targets_merges_them(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        a = report(session, settings, ("Twitter", "suspension", "Jayda Fransen")).opened[0]
        b = report(session, settings, ("Twitter", "suspension", "Britain First"),
                   outlet="b.example").opened[0]  # fmt: skip
        both = report(session, settings, ("Twitter", "suspension", "Britain First"),
                      ("Twitter", "suspension", "Jayda Fransen"), outlet="c.example")  # fmt: skip
        assert both.opened == [] and len(both.updated) == 1
        survivor = session.get_one(Event, both.updated[0])
        other = session.get_one(Event, ({a, b} - {survivor.id}).pop())
        assert other.merged_into_id == survivor.id and survivor.article_count == 3


# --- times ------------------------------------------------------------------------------


def test_a_date_only_value_never_overrides_a_full_timestamp() -> None:
    day = datetime(2024, 3, 5, tzinfo=UTC)
    full = datetime(2024, 3, 5, 14, 20, tzinfo=UTC)
    page = Document(url="https://x.example/a", title="t", text="x", published_at=day,
                    published_precision=DAY)  # fmt: skip
    fed = page.with_feed_hints(published_at=full)
    assert (fed.published_at, fed.published_precision) == (full, FULL)
    # No feed time: the fetch time of that day, not midnight.
    fetched = Document(url="https://x.example/a", title="t", text="x", published_at=day,
                       published_precision=DAY, fetched_at=full)  # fmt: skip
    assert fetched.report_time(full + timedelta(hours=1)) == (full, timedelta(0))
    # A backfilled page dated days before it was fetched keeps its day.
    old = fetched.report_time(full + timedelta(days=30))
    assert old == (full, timedelta(0)) or old[0] <= full
    stale = Document(url="https://x.example/a", title="t", text="x", published_at=day,
                     published_precision=DAY, fetched_at=full + timedelta(days=30))  # fmt: skip
    assert stale.report_time(full + timedelta(days=30)) == (day, timedelta(days=1))
    # Two full times: the earliest.
    early = page.with_feed_hints(published_at=full)
    assert early.with_feed_hints(published_at=full - timedelta(hours=2)).published_at == (
        full - timedelta(hours=2)
    )
    assert earliest(full, day) == full and earliest(day, full) == full
    assert earliest(full, day - timedelta(days=1)) == day - timedelta(days=1)


def test_first_seen_is_the_feed_time_not_midnight(engine: Engine, settings: Settings) -> None:
    lexicon = load_lexicon()
    day = datetime(2024, 3, 5, tzinfo=UTC)
    with session_scope(engine) as session:
        doc = Document(url="https://a.example/kestrel", title="YouTube bans Kestrel Media",
                       text="YouTube banned Kestrel Media on Tuesday for election falsehoods.",
                       published_at=day, published_precision=DAY)  # fmt: skip
        doc = doc.with_feed_hints(published_at=day + timedelta(hours=9, minutes=12))
        first = ingest_document(session, doc, settings, lexicon, now=day + timedelta(hours=10))
        (event_id,) = first.opened
        other = Document(url="https://b.example/kestrel", title="Kestrel Media banned from YouTube",
                         text="Kestrel Media's channel was banned by YouTube for good, the company said.",
                         published_at=day, published_precision=DAY,
                         fetched_at=day + timedelta(hours=15))  # fmt: skip
        ingest_document(session, other, settings, lexicon, now=day + timedelta(hours=15))
        event = session.get_one(Event, event_id)
        assert event.article_count == 2
        assert event.first_seen_at.astimezone(UTC) == day + timedelta(hours=9, minutes=12)


# --- the figures on the development data --------------------------------------------------


def _figures(path: Path) -> dict:  # type: ignore[type-arg]
    settings = settings_from_dict({})
    return evaluate_file(path, settings, load_lexicon(settings.classifier)).as_json()


@pytest.mark.parametrize("name", ["devset.jsonl", "devgroups.jsonl"])
def test_grouping_on_our_development_data(name: str) -> None:
    data = _figures(DATA / name)
    events = data["events"]
    assert events["wrong_joins"] == 0
    assert data["precision"] >= 0.95
    # Where we stand (the issue asks for more: recall 0.9, F1 0.9, 1.1 events per ban).
    assert events["precision"] >= 0.95
    assert events["events_per_event"] <= 1.2
    assert events["f1"] >= 0.75
    assert data["recall"] >= 0.85
    assert data["target_accuracy"] >= 0.85


def test_grouping_on_the_coverage_set() -> None:
    path = COVERAGE / "coverage.jsonl"
    if not path.exists():
        pytest.skip("../shared/corpus/coverage is not here")
    data = _figures(path)
    assert data["events"]["wrong_joins"] == 0
    assert data["events"]["precision"] >= 0.95
    assert data["precision"] >= 0.95
    # Where we stand, so a change that loses ground fails (the bar is higher:
    # recall 0.9, target 0.95, pairwise F1 0.9, 1.1 events per ban).
    assert data["recall"] >= 0.8
    assert data["target_accuracy"] >= 0.82
    assert data["events"]["f1"] >= 0.6
    assert data["events"]["events_per_event"] <= 1.55
    json.dumps(data)
