"""Issue 12's bars, held on every development set we have: the real multi-outlet coverage
(../shared/corpus/coverage, read where it lies) and our own sets in tests/data. A change
to the classifier or the event matching that costs any of them fails here, with the
misses in the message.

Bars: precision >= 0.95, recall >= 0.9, the right target >= 0.95, pairwise grouping F1 >=
0.9, at most 1.1 events per labelled ban, no event joining two bans.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import load_lexicon
from monitor.config import load_settings
from monitor.evaluate import Report, evaluate_file

DATA = Path(__file__).parent / "data"
COVERAGE = Path(__file__).parent.parent.parent / "shared" / "corpus" / "coverage" / "coverage.jsonl"

SETS = {
    "coverage": COVERAGE,
    "devgroups": DATA / "devgroups.jsonl",
    "devset": DATA / "devset.jsonl",
    "holdout": DATA / "holdout.jsonl",
}


@pytest.fixture(scope="module", params=sorted(SETS))
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = SETS[request.param]
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus is not beside this checkout)")
    db = tmp_path_factory.mktemp("bars") / "unused.db"
    settings = load_settings(env={"BANWATCH_DATABASE_URL": f"sqlite:///{db}"})
    return evaluate_file(path, settings, load_lexicon())


def test_detection(report: Report) -> None:
    assert report.precision >= 0.95, report.misclassified
    assert report.recall >= 0.9, report.misclassified


def test_the_right_target(report: Report) -> None:
    assert report.target_accuracy >= 0.95, report.target_misses


def test_one_event_per_ban(report: Report) -> None:
    events = report.events
    assert events is not None
    assert events.wrong_joins == 0
    assert events.f1 >= 0.9, events
    assert events.events_per_event <= 1.1, events


# The sets written later, each measured once blind before any rule was tuned on it (the
# figures are in the commits that added them): below the bars still, so here they
# hold what the rules reach today, and never an event joining two bans.
FLOORS = {
    "devgroups2": 0.90,
    "devgroups3": 0.82,
    "devgroups4": 0.60,
    "devgroups5": 0.72,
    "devgroups6": 0.63,
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def later_set(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Report]:
    db = tmp_path_factory.mktemp("floors") / "unused.db"
    settings = load_settings(env={"BANWATCH_DATABASE_URL": f"sqlite:///{db}"})
    return request.param, evaluate_file(DATA / f"{request.param}.jsonl", settings, load_lexicon())


def test_later_sets_never_join_two_bans_and_keep_their_grouping(
    later_set: tuple[str, Report],
) -> None:
    name, report = later_set
    events = report.events
    assert events is not None
    assert events.wrong_joins == 0, name
    assert events.f1 >= FLOORS[name], (name, events)
    assert report.precision >= 0.93, (name, report.misclassified)
