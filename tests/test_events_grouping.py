"""Event grouping against the development set's ``event`` keys (tests/data/devset.jsonl).

Pairwise precision / recall / F1 over the items labelled ``enforcement``, each ingested in
order of ``published`` into a fresh SQLite database and grouped under
``IngestResult.group_key`` (its first event; a report of a ban being lifted apart from the
ban's reports). An item with no event, or with a null key, is a group of its own.

Two measurements: the whole pipeline (classifier and grouping), and the grouping alone,
fed the file's own platform / action / target as verdicts, so a grouping regression is
told apart from a classifier one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor import events
from monitor.config import settings_from_dict
from monitor.db import open_database, session_scope
from monitor.extract import Document
from monitor.models import Article
from monitor.models import Verdict as VerdictRow

DEVSET = Path(__file__).resolve().parent / "data" / "devset.jsonl"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def pairwise(gold: Sequence[Hashable | None], predicted: Sequence[Hashable | None]) -> dict:  # type: ignore[type-arg]
    """Pairwise precision, recall and F1 of a grouping (None: a group of its own)."""
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        same_gold = gold[i] is not None and gold[i] == gold[j]
        same_predicted = predicted[i] is not None and predicted[i] == predicted[j]
        tp += same_gold and same_predicted
        fp += same_predicted and not same_gold
        fn += same_gold and not same_predicted
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": tp + fn}


def test_pairwise_scores() -> None:
    assert pairwise(["a", "a", "b"], [1, 1, 2])["f1"] == 1.0
    assert pairwise(["a", "a", None, None], [1, 1, 2, 2]) == {
        "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "pairs": 1,
    }  # fmt: skip
    assert pairwise(["a", "a"], [None, None])["recall"] == 0.0


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    if not DEVSET.exists():
        pytest.skip(f"{DEVSET} is absent")
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line]
    chosen = [r for r in rows if r["label"] == "enforcement"]
    assert len(chosen) >= 50
    return sorted(chosen, key=lambda r: r.get("published") or "")


def published(item: dict[str, Any]) -> datetime | None:
    value = item.get("published")
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pytest.mark.slow
def test_pipeline_grouping_f1(items: list[dict[str, Any]], tmp_path: Path) -> None:
    from monitor.classify import load_lexicon
    from monitor.ingest import ingest_document

    settings = settings_from_dict({})
    lexicon = load_lexicon(settings.classifier)
    engine = open_database(f"sqlite:///{tmp_path / 'eval.db'}")
    predicted: list[str | None] = []
    for n, item in enumerate(items):
        doc = Document(url=item.get("url") or f"https://eval.example/{n}", title=item["title"],
                       text=item["text"], published_at=published(item))  # fmt: skip
        with session_scope(engine) as session:
            result = ingest_document(session, doc, settings, lexicon, now=NOW)
        predicted.append(result.group_key)
    engine.dispose()
    score = pairwise([i.get("event") for i in items], predicted)
    print(f"pipeline grouping: {score}")
    assert score["f1"] >= 0.9, score


def test_grouping_alone_f1(items: list[dict[str, Any]], tmp_path: Path) -> None:
    """The grouping fed the file's labels as verdicts: what events.py alone scores."""
    settings = settings_from_dict({})
    engine = open_database(f"sqlite:///{tmp_path / 'eval.db'}")
    predicted: list[str | None] = []
    for n, item in enumerate(items):
        with session_scope(engine) as session:
            at = published(item) or NOW
            url = f"https://eval.example/{n}"
            article = Article(url=url, canonical_url=url, title=item["title"], text="",
                              published_at=at)  # fmt: skip
            session.add(article)
            session.flush()
            verdict = VerdictRow(article_id=article.id, score=0.9, platform=item["platform"],
                                 action=item["action"], target=item["target"],
                                 target_key=item["target"].casefold(), evidence="",
                                 rules={"rules": []}, classifier_version="labels")  # fmt: skip
            session.add(verdict)
            session.flush()
            changes = events.attach_verdicts(session, settings, article, [verdict], at)
            reversal = item["action"] == events.REINSTATEMENT and changes.events[0] in (
                events.reversals_reported(session, article.id)
            )
            predicted.append(f"{changes.events[0]}{':reversal' if reversal else ''}")
    engine.dispose()
    score = pairwise([i.get("event") for i in items], predicted)
    print(f"grouping alone: {score}")
    assert score["f1"] >= 0.9, score
