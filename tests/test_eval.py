"""`banwatch eval` and `banwatch classify --jsonl`: shapes, order, grouping scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ParseError
from monitor.evaluate import names_target, pairwise, read_items, spread_and_joins

ITEMS = [
    {"title": "Twitter bans ads from RT and Sputnik", "text": "Twitter banned ads from RT.",
     "label": "enforcement", "platform": "Twitter", "action": "ad_ban", "target": "RT",
     "event": "E1", "published": "2017-10-26", "url": "https://a.example/1"},
    {"title": "Russia Today loses Twitter ads", "text": "Twitter has banned advertising from Russia Today.",
     "label": "enforcement", "platform": "Twitter", "action": "ad_ban", "target": "RT",
     "event": "E1", "published": "2017-10-27", "url": "https://b.example/2"},
    {"title": "YouTube terminates Infowars", "text": "YouTube terminated the Infowars channel.",
     "label": "enforcement", "platform": "YouTube", "action": "ban", "target": "Infowars",
     "event": "E2", "published": "2018-08-06", "url": "https://c.example/3"},
    {"title": "Lawmakers urge YouTube to ban Infowars", "text": "The letter asks YouTube to act.",
     "label": "not_enforcement", "published": "2018-07-01", "url": "https://d.example/4"},
    {"title": "Russia blocks Twitter", "text": "The regulator blocked Twitter nationwide.",
     "label": "not_enforcement", "published": "2022-03-04"},
    {"title": "Apple's quiet week", "text": "Apple has removed the podcast of Alex Jones from iTunes.",
     "label": "enforcement", "platform": "Spotify", "action": "removal", "target": "Alex Jones",
     "published": "2018-08-06"},
]  # fmt: skip


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n\n", encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "unused.db"}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--config", str(config), *args], input=stdin)


def test_eval_json_has_the_contract_fields(labelled: Path, config: Path) -> None:
    result = run(config, "eval", str(labelled), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"n", "precision", "recall", "f1", "platform_accuracy", "events"} <= set(data)
    assert {"precision", "recall", "f1", "events_per_event", "wrong_joins"} == set(data["events"])
    assert data["n"] == 6
    assert data["precision"] == 1.0 and data["recall"] == 1.0
    assert data["platform_accuracy"] == pytest.approx(3 / 4)  # Apple found, Spotify labelled
    assert data["confusion"] == {
        "enforcement": {"enforcement": 4, "not_enforcement": 0},
        "not_enforcement": {"enforcement": 0, "not_enforcement": 2},
    }
    assert data["events"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                              "events_per_event": 1.0, "wrong_joins": 0}  # fmt: skip
    (wrong,) = data["misclassified"]
    assert wrong["kind"] == "wrong_platform" and wrong["line"] == 6
    assert data["per_platform_recall"] == {"Spotify": 0.0, "Twitter": 1.0, "YouTube": 1.0}


def test_eval_table_prints_the_scores(labelled: Path, config: Path) -> None:
    result = run(config, "eval", str(labelled), "--no-events")
    assert result.exit_code == 0, result.output
    assert "precision=1.000" in result.output and "F1=1.000" in result.output
    assert "events (pairwise)" not in result.output
    assert "misclassified" in result.output and "wrong_platform" in result.output


def test_eval_rejects_a_bad_label_with_its_line(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "a", "text": "b", "label": "enforcement"}\n'
                    '{"title": "a", "text": "b", "label": "maybe"}\n', encoding="utf-8")  # fmt: skip
    result = run(config, "eval", str(path))
    assert result.exit_code != 0
    assert f"{path}:2" in result.output and "maybe" in result.output
    with pytest.raises(ParseError, match=":1: not JSON"):
        (tmp_path / "x.jsonl").write_text("{oops\n", encoding="utf-8")
        read_items(tmp_path / "x.jsonl")


def test_classify_jsonl_keeps_input_order(config: Path) -> None:
    lines = [
        {"title": "Weather", "text": "Sunny with light winds."},
        {"title": "YouTube terminates Infowars", "text": ""},
        {"title": "", "text": "Meta banned RT. Twitter removed Sputnik's account."},
        {"title": "Nothing", "text": ""},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
    result = run(config, "classify", "--jsonl", "-", "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert [len(o["verdicts"]) for o in out] == [0, 1, 2, 0]
    assert set(out[1]["verdicts"][0]) == {
        "platform",
        "action",
        "target",
        "scale",
        "score",
        "evidence",
    }
    assert [(v["platform"], v["target"]) for v in out[2]["verdicts"]] == [
        ("Meta", "RT"),
        ("Twitter", "Sputnik"),
    ]


def test_classify_text_argument_and_stdin(config: Path) -> None:
    result = run(config, "classify", "Twitter bans ads from RT", "--json")
    assert json.loads(result.output)["verdicts"][0]["action"] == "ad_ban"
    result = run(config, "classify", "--title", "Reddit bans r/The_Donald", "-", stdin="Body.\n")
    assert result.exit_code == 0 and "Reddit" in result.output and "ban" in result.output
    result = run(config, "classify", "-", "--json", stdin="Twitter suspended RT's account.\n")
    assert json.loads(result.output)["verdicts"][0]["target"] == "RT"


def test_classify_without_text_is_a_usage_error(config: Path) -> None:
    result = run(config, "classify", stdin="Twitter bans ads from RT\n")  # stdin not read
    assert result.exit_code == 2
    assert 'give the TEXT to classify, "-" to read it from standard input' in result.output
    result = run(config, "classify", "text", "--jsonl", "-", stdin="")
    assert result.exit_code == 2 and "not both" in result.output


def test_pairwise_scores() -> None:
    expected = {1: "A", 2: "A", 3: "A", 4: "B"}
    assert pairwise(expected, {1: "x", 2: "x", 3: "x", 4: "y"}).f1 == 1.0
    split = pairwise(expected, {1: "x", 2: "x", 3: "y", 4: "z"})
    assert (split.precision, split.recall) == (1.0, pytest.approx(1 / 3))
    merged = pairwise(expected, {1: "x", 2: "x", 3: "x", 4: "x"})
    assert (merged.precision, merged.recall) == (0.5, 1.0)
    assert pairwise({1: "A", 2: "B"}, {1: "x", 2: "y"}).f1 == 1.0


@pytest.mark.slow
def test_eval_of_the_devset_groups_its_events(config: Path) -> None:
    devset = Path(__file__).parent / "data" / "devset.jsonl"
    data = json.loads(run(config, "eval", str(devset), "--json").output)
    assert data["n"] >= 150
    assert data["f1"] >= 0.95 and data["precision"] >= 0.95
    assert data["events"]["precision"] >= 0.9 and data["events"]["recall"] >= 0.9


def test_eval_reads_reduced_precision_dates(tmp_path: Path) -> None:
    path = tmp_path / "dates.jsonl"
    lines = [
        {"title": "a", "text": "b", "label": "not_enforcement", "published": "2019-06"},
        {"title": "a", "text": "b", "label": "not_enforcement", "published": "2019"},
        {"title": "a", "text": "b", "label": "not_enforcement", "published": "2019-06-07T10:30:00+02:00"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    first, second, third = read_items(path)
    assert (first.published.year, first.published.month, first.published.day) == (2019, 6, 1)
    assert (second.published.month, second.published.day) == (1, 1)
    assert third.published.hour == 10 and third.published.utcoffset().seconds == 7200
    path.write_text(json.dumps({"title": "a", "text": "b", "label": "enforcement",
                                "published": "2019-13"}), encoding="utf-8")  # fmt: skip
    with pytest.raises(ParseError, match="not an ISO date"):
        read_items(path)


def test_eval_scores_targets_and_lists_the_misses(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "targets.jsonl"
    lines = [
        {"title": "YouTube terminates Infowars", "text": "YouTube terminated the Infowars channel.",
         "label": "enforcement", "platform": "YouTube", "action": "ban", "target": "Infowars"},
        {"title": "Twitter bans ads from RT", "text": "Twitter banned ads from RT.",
         "label": "enforcement", "platform": "Twitter", "action": "ad_ban",
         "target": "Russia Today", "target_names": ["russia today", "rt"]},
        {"title": "Twitter suspends Sputnik", "text": "Twitter suspended Sputnik's account.",
         "label": "enforcement", "platform": "Twitter", "action": "ban", "target": "Kaspersky"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    data = json.loads(run(config, "eval", str(path), "--json", "--no-events").output)
    assert data["target_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    (miss,) = data["target_misses"]
    assert miss["line"] == 3 and miss["kind"] == "wrong_target"
    assert [m["line"] for m in data["action_misses"]] == [3]  # a suspension, labelled ban
    table = run(config, "eval", str(path), "--no-events").output
    assert "target accuracy=0.667" in table and "target misses" in table


def test_names_target_takes_whole_words_only() -> None:
    assert names_target("network linked to Iran", ["iran"])
    assert names_target("The Daily Mail's", ["daily mail"])
    assert not names_target("Iranian", ["iran"])
    assert not names_target("page", ["daily mail"])


def test_a_reinstatement_labelled_not_a_ban_is_right_when_read_as_one(
    tmp_path: Path, config: Path
) -> None:
    path = tmp_path / "back.jsonl"
    lines = [
        {"title": "Twitter restores Babylon Bee account", "label": "not_enforcement",
         "text": "Twitter reinstated the Babylon Bee's account on Friday.",
         "platform": "Twitter", "action": "reinstatement"},
        {"title": "Twitter restores Babylon Bee account", "label": "enforcement",
         "text": "Twitter reinstated the Babylon Bee's account on Friday.",
         "platform": "Twitter", "action": "reinstatement"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    data = json.loads(run(config, "eval", str(path), "--json", "--no-events").output)
    assert data["confusion"]["not_enforcement"] == {"enforcement": 0, "not_enforcement": 1}
    assert data["confusion"]["enforcement"] == {"enforcement": 1, "not_enforcement": 0}


def test_spread_and_wrong_joins() -> None:
    expected = {1: "A", 2: "A", 3: "A", 4: "B", 5: "C"}
    # A split over two events, B joined with A's second, C found nowhere
    spread, wrong = spread_and_joins(expected, {1: "x", 2: "x", 3: "y", 4: "y", 5: "alone:5"})
    assert spread == pytest.approx((2 + 1) / 2) and wrong == 1
    assert spread_and_joins(expected, {1: "x", 2: "x", 3: "x", 4: "y", 5: "z"}) == (1.0, 0)


def test_eval_help_says_how_reinstatements_are_labelled(config: Path) -> None:
    out = run(config, "eval", "--help").output
    assert "reinstatement" in out and "YYYY-MM" in out and "target_names" in out


def test_a_subreddit_or_handle_names_its_bare_name() -> None:
    assert names_target("r/incels", ["incels"])
    assert names_target("@ElonJet", ["elonjet"])
    assert not names_target("r/incelsfree", ["incels"])
