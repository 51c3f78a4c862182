"""`banwatch eval` and `banwatch classify --jsonl`: shapes, order, grouping scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ParseError
from monitor.evaluate import pairwise, read_items

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
    assert set(data["events"]) == {"precision", "recall", "f1"}
    assert data["n"] == 6
    assert data["precision"] == 1.0 and data["recall"] == 1.0
    assert data["platform_accuracy"] == pytest.approx(3 / 4)  # Apple found, Spotify labelled
    assert data["confusion"] == {
        "enforcement": {"enforcement": 4, "not_enforcement": 0},
        "not_enforcement": {"enforcement": 0, "not_enforcement": 2},
    }
    assert data["events"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
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
    result = run(config, "classify", "--title", "Reddit bans r/The_Donald", stdin="Body.\n")
    assert result.exit_code == 0 and "Reddit" in result.output and "ban" in result.output


def test_pairwise_scores() -> None:
    expected = {1: "A", 2: "A", 3: "A", 4: "B"}
    assert pairwise(expected, {1: "x", 2: "x", 3: "x", 4: "y"}).f1 == 1.0
    split = pairwise(expected, {1: "x", 2: "x", 3: "y", 4: "z"})
    assert (split.precision, split.recall) == (1.0, pytest.approx(1 / 3))
    merged = pairwise(expected, {1: "x", 2: "x", 3: "x", 4: "x"})
    assert (merged.precision, merged.recall) == (0.5, 1.0)
    assert pairwise({1: "A", 2: "B"}, {1: "x", 2: "y"}).f1 == 1.0


def test_eval_of_the_devset_groups_its_events(config: Path) -> None:
    devset = Path(__file__).parent / "data" / "devset.jsonl"
    data = json.loads(run(config, "eval", str(devset), "--json").output)
    assert data["n"] >= 150
    assert data["f1"] >= 0.95 and data["precision"] >= 0.95
    assert data["events"]["precision"] >= 0.9 and data["events"]["recall"] >= 0.9
