"""Score the classifier, and the event grouping, on a labelled JSON-lines file.

Each line is an object with ``title``, ``text``, ``label`` ("enforcement" or
"not_enforcement") and optionally ``platform``, ``action``, ``target``, ``target_names``,
``event``, ``published`` (``YYYY-MM-DD`` or a full ISO time; ``YYYY-MM`` and ``YYYY`` are
read as the first day of that month or year), ``url`` (``banwatch eval PATH``).

Classification: an item is predicted "enforcement" when the classifier gives it at least
one verdict. Precision, recall and F1 are over that decision. Reinstatements are labelled
one of two ways and both are scored: as ``enforcement`` with action ``reinstatement`` and
an event key of their own (tests/data: the lifting is an event apart from the ban), or as
``not_enforcement`` with action ``reinstatement`` (../shared/corpus/coverage: not a ban),
in which case verdicts that are all reinstatements count as a correct "not a ban".

``platform_accuracy`` is the share of correctly flagged items whose labelled platform is
among the verdicts' platforms (a product of the same company counts: Instagram or Meta for
a Facebook label); ``action_accuracy`` the share with a verdict of that platform and the
labelled action; ``target_accuracy`` the share of flagged items with a labelled target
(``target`` or ``target_names``) whose verdicts name it: a verdict's target, folded, equals
one of the names or holds one as whole words ("network linked to Iran" names ``iran``).
Misses of each are listed. Per-platform recall counts an item found when a verdict names
its platform.

Grouping: the items labelled enforcement are ingested, in ``published`` order, into a
throwaway SQLite database through ``monitor.ingest.ingest_document``, exactly as the
pipeline stores articles; each item's group is the event it was attached to (of its
events, the first of the labelled platform, else ``IngestResult.group_key``), items without
one a group of their own. Pairwise precision, recall and F1 compare those groups with the
``event`` keys (an item without a key is a group of its own). Beside them:
``events_per_event``, the mean number of events the found items of one labelled event
were spread over (1.0 is one event per ban), and ``wrong_joins``, the number of events
holding items of two or more labelled events (or an item labelled with no event).

``classify_records`` serves ``banwatch classify --jsonl``: one result per input line, in
input order.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import ParseError

if TYPE_CHECKING:
    from monitor.classify import Lexicon, Verdict
    from monitor.config import Settings

REINSTATEMENT = "reinstatement"
ENFORCEMENT = "enforcement"
NOT_ENFORCEMENT = "not_enforcement"
LABELS = (ENFORCEMENT, NOT_ENFORCEMENT)


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled line."""

    line: int
    title: str
    text: str
    enforcement: bool
    platform: str | None = None
    action: str | None = None
    target: str | None = None
    event: str | None = None
    published: datetime | None = None
    url: str | None = None
    target_names: tuple[str, ...] = ()
    precision: str = "full"  # of published: full | day | month | year

    def names(self) -> tuple[str, ...]:
        """Folded names a verdict may give the labelled target by."""
        out = dict.fromkeys(_fold(n) for n in (self.target, *self.target_names) if n)
        return tuple(n for n in out if n)


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pairwise precision, recall and F1 of a grouping."""

    precision: float
    recall: float
    f1: float
    pairs_predicted: int = 0
    pairs_expected: int = 0
    events_per_event: float = 0.0
    wrong_joins: int = 0

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "events_per_event": self.events_per_event,
            "wrong_joins": self.wrong_joins,
        }


@dataclass(slots=True)
class Report:
    """Everything ``banwatch eval`` prints."""

    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    platform_hits: int = 0
    action_hits: int = 0
    labelled_hits: int = 0
    target_hits: int = 0
    targets_labelled: int = 0
    per_platform: dict[str, list[int]] = field(default_factory=dict)  # platform -> [found, n]
    misclassified: list[dict[str, Any]] = field(default_factory=list)
    target_misses: list[dict[str, Any]] = field(default_factory=list)
    action_misses: list[dict[str, Any]] = field(default_factory=list)
    events: PairScores | None = None

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def platform_accuracy(self) -> float:
        return self.platform_hits / self.labelled_hits if self.labelled_hits else 0.0

    @property
    def action_accuracy(self) -> float:
        return self.action_hits / self.labelled_hits if self.labelled_hits else 0.0

    @property
    def target_accuracy(self) -> float:
        return self.target_hits / self.targets_labelled if self.targets_labelled else 0.0

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        """expected label -> predicted label -> count."""
        return {
            ENFORCEMENT: {ENFORCEMENT: self.tp, NOT_ENFORCEMENT: self.fn},
            NOT_ENFORCEMENT: {ENFORCEMENT: self.fp, NOT_ENFORCEMENT: self.tn},
        }

    def per_platform_recall(self) -> dict[str, float]:
        return {p: found / total for p, (found, total) in sorted(self.per_platform.items())}

    def as_json(self) -> dict[str, Any]:
        """The contract's object (``n, precision, recall, f1, platform_accuracy, events``)
        and the details the table shows."""
        return {
            "n": self.n,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "platform_accuracy": round(self.platform_accuracy, 4),
            "action_accuracy": round(self.action_accuracy, 4),
            "target_accuracy": round(self.target_accuracy, 4),
            "events": {k: round(v, 4) for k, v in self.events.as_dict().items()}
            if self.events
            else None,
            "confusion": self.confusion,
            "per_platform_recall": {k: round(v, 4) for k, v in self.per_platform_recall().items()},
            "misclassified": self.misclassified,
            "target_misses": self.target_misses,
            "action_misses": self.action_misses,
        }


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- reading ---------------------------------------------------------------------------


def iter_jsonl(lines: Iterable[str], source: str = "input") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object
    raises ``ParseError`` naming the line."""
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{source}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise ParseError(f"{source}:{number}: expected a JSON object")
        yield number, record


def read_items(path: str | Path) -> list[Item]:
    """The labelled items of a JSON-lines file."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ParseError(f"{path}: {exc.strerror}") from None
    with handle:
        return [
            _item(number, record, str(path)) for number, record in iter_jsonl(handle, str(path))
        ]


def _item(number: int, record: dict[str, Any], source: str) -> Item:
    label = record.get("label")
    if label not in LABELS:
        raise ParseError(
            f"{source}:{number}: label must be one of {', '.join(LABELS)}, not {label!r}"
        )
    return Item(
        line=number,
        title=str(record.get("title") or ""),
        text=str(record.get("text") or ""),
        enforcement=label == ENFORCEMENT,
        platform=record.get("platform") or None,
        action=record.get("action") or None,
        target=record.get("target") or None,
        event=record.get("event") or None,
        published=_date(record.get("published"), f"{source}:{number}"),
        precision=_precision(record.get("published")),
        url=record.get("url") or None,
        target_names=tuple(str(n) for n in record.get("target_names") or () if n),
    )


_REDUCED = re.compile(r"(\d{4})(?:-(\d{2}))?")


def _date(value: Any, where: str) -> datetime | None:
    """An ISO date or time; a reduced-precision date (``YYYY-MM``, ``YYYY``) is its first
    day."""
    if not value:
        return None
    text = str(value).strip()
    reduced = _REDUCED.fullmatch(text)
    try:
        if reduced:
            parsed = datetime(int(reduced[1]), int(reduced[2] or 1), 1)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParseError(f"{where}: published is not an ISO date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _precision(value: Any) -> str:
    text = str(value or "").strip()
    if "T" in text or " " in text:
        return "full"
    return {4: "year", 7: "month", 10: "day"}.get(len(text), "full")


def _fold(name: str) -> str:
    """Lower case, accents and punctuation off, a leading "the" and a possessive dropped."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("’", "'"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"'s\b", "", folded)
    words = re.sub(r"[^\w@/]+", " ", folded).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def names_target(verdict_target: str, names: Iterable[str]) -> bool:
    """Whether a verdict's target names one of ``names`` (folded): equal, or holding it
    as whole words."""
    folded = _fold(verdict_target)
    bare = re.sub(r"(^| )(?:[ru]/|@)", r"\1", folded)  # "r/incels" names "incels"
    return any(f" {name} " in f" {got} " for got in {folded, bare} for name in names if name)


def same_platform(labelled: str, found: str, families: Mapping[str, str]) -> bool:
    """A verdict's platform matches a label when it is the same product or one of the
    same company (a Facebook label accepts Instagram and Meta)."""
    if labelled == found:
        return True
    family = families.get(labelled)
    return family is not None and family == families.get(found)


# --- classification --------------------------------------------------------------------


def classify_records(
    records: Iterable[tuple[int, dict[str, Any]]], lexicon: Lexicon
) -> Iterator[dict[str, Any]]:
    """One result per record, in order: the line number and the verdicts (contract
    fields) of its ``title`` and ``text``."""
    from monitor.classify import classify

    for number, record in records:
        title = str(record.get("title") or "")
        verdicts = classify(title, str(record.get("text") or ""), lexicon)
        yield {"line": number, "title": title, "verdicts": [v.as_dict() for v in verdicts]}


def score_classification(items: Iterable[Item], lexicon: Lexicon) -> Report:
    """Precision, recall, F1, confusion, per-platform recall and the misclassified items."""
    from monitor.classify import classify

    report = Report()
    for item in items:
        verdicts = classify(item.title, item.text, lexicon)
        report.n += 1
        _count(report, item, verdicts, lexicon.families)
    return report


def _count(
    report: Report, item: Item, verdicts: list[Verdict], families: Mapping[str, str]
) -> None:
    predicted = bool(verdicts)
    if (
        not item.enforcement
        and item.action == REINSTATEMENT
        and all(v.action == REINSTATEMENT for v in verdicts)
    ):
        predicted = False  # labelled "a reinstatement, not a ban", and read as one
    on_platform = [
        v for v in verdicts if item.platform and same_platform(item.platform, v.platform, families)
    ]
    if item.enforcement and item.platform:
        counts = report.per_platform.setdefault(item.platform, [0, 0])
        counts[1] += 1
        counts[0] += bool(on_platform)
    if item.enforcement and predicted:
        report.tp += 1
        if item.platform:
            report.labelled_hits += 1
            report.platform_hits += bool(on_platform)
            if any(v.action == item.action for v in on_platform):
                report.action_hits += 1
            elif item.action:
                report.action_misses.append(_miss(item, verdicts, "wrong_action"))
            if not on_platform:
                report.misclassified.append(_miss(item, verdicts, "wrong_platform"))
        names = item.names()
        if names:
            report.targets_labelled += 1
            if any(names_target(v.target, names) for v in verdicts):
                report.target_hits += 1
            else:
                report.target_misses.append(_miss(item, verdicts, "wrong_target"))
    elif item.enforcement:
        report.fn += 1
        report.misclassified.append(_miss(item, verdicts, "false_negative"))
    elif predicted:
        report.fp += 1
        report.misclassified.append(_miss(item, verdicts, "false_positive"))
    else:
        report.tn += 1


def _miss(item: Item, verdicts: list[Verdict], kind: str) -> dict[str, Any]:
    return {
        "line": item.line,
        "kind": kind,
        "title": item.title,
        "expected": {"label": ENFORCEMENT if item.enforcement else NOT_ENFORCEMENT,
                     "platform": item.platform, "action": item.action, "target": item.target},
        "predicted": [v.as_dict() for v in verdicts],
    }  # fmt: skip


# --- grouping --------------------------------------------------------------------------


def score_grouping(items: Iterable[Item], settings: Settings, lexicon: Lexicon) -> PairScores:
    """Pairwise scores of the pipeline's event grouping against the items' event keys."""
    enforcement = [i for i in items if i.enforcement]
    predicted = group_items(enforcement, settings, lexicon)
    expected = {i.line: (i.event or f"line:{i.line}") for i in enforcement}
    scores = pairwise(expected, predicted)
    spread, wrong = spread_and_joins(expected, predicted)
    return PairScores(
        scores.precision,
        scores.recall,
        scores.f1,
        scores.pairs_predicted,
        scores.pairs_expected,
        events_per_event=spread,
        wrong_joins=wrong,
    )


def spread_and_joins(expected: dict[int, str], predicted: dict[int, str]) -> tuple[float, int]:
    """(mean number of predicted events per expected event over its found items, number of
    predicted events holding items of two or more expected events). Items the pipeline
    put in no event (group ``alone:...``) count in neither."""
    events_of: dict[str, set[str]] = {}
    members: dict[str, set[str]] = {}
    for line, key in expected.items():
        group = predicted.get(line)
        if group is None or group.startswith(ALONE):
            continue
        events_of.setdefault(key, set()).add(group)
        members.setdefault(group, set()).add(key)
    spread = sum(map(len, events_of.values())) / len(events_of) if events_of else 0.0
    return spread, sum(1 for keys in members.values() if len(keys) > 1)


def group_items(items: list[Item], settings: Settings, lexicon: Lexicon) -> dict[int, str]:
    """line -> group key, from ingesting the items in published order into a throwaway
    SQLite database."""
    import tempfile

    from monitor.db import open_database, session_scope
    from monitor.extract import PRECISION_SPAN, Document
    from monitor.ingest import ingest_document

    ordered = sorted(items, key=lambda i: (i.published is None, i.published or 0, i.line))
    groups: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="banwatch-eval-") as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'eval.db'}")
        try:
            for item in ordered:
                doc = Document(
                    url=item.url or f"https://eval.invalid/line/{item.line}",
                    title=item.title,
                    text=item.text,
                    published_at=item.published,
                    published_precision=item.precision,
                )
                # Fetched at the end of the period the date names: a date-only item is
                # placed at its date, with that period as its uncertainty.
                now = item.published + PRECISION_SPAN[item.precision] if item.published else None
                with session_scope(engine) as session:
                    result = ingest_document(session, doc, settings, lexicon, now=now)
                    key = result.group_key
                    if item.platform and result.events:
                        key = _labelled_platform_event(session, result, item.platform, lexicon)
                groups[item.line] = key or f"{ALONE}{item.line}"
        finally:
            engine.dispose()
    return groups


ALONE = "alone:"


def _labelled_platform_event(
    session: Any, result: Any, platform: str, lexicon: Lexicon
) -> str | None:
    """The group of the first of the result's events on the labelled platform (an article
    reporting two platforms opens an event for each), else its usual group."""
    from monitor.models import Event

    for event_id in result.events:
        event = session.get(Event, event_id)
        if event is not None and same_platform(platform, event.platform, lexicon.families):
            reversal = event_id in result.reversal_of
            return f"{event_id}:reversal" if reversal else str(event_id)
    return result.group_key  # type: ignore[no-any-return]


def pairwise(expected: dict[int, str], predicted: dict[int, str]) -> PairScores:
    """Pairwise precision/recall/F1 of ``predicted`` groups against ``expected`` ones
    (both: item -> group key). With no predicted pairs precision is 1 (nothing wrongly
    joined); with no expected pairs recall is 1."""
    keys = sorted(expected)
    same_expected = same_predicted = both = 0
    for a, b in combinations(keys, 2):
        e = expected[a] == expected[b]
        p = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
        same_expected += e
        same_predicted += p
        both += e and p
    precision = both / same_predicted if same_predicted else 1.0
    recall = both / same_expected if same_expected else 1.0
    return PairScores(precision, recall, _f1(precision, recall), same_predicted, same_expected)


def evaluate_file(
    path: str | Path, settings: Settings, lexicon: Lexicon, *, events: bool = True
) -> Report:
    """``banwatch eval``: classification scores, and grouping scores unless ``events`` is
    off."""
    items = read_items(path)
    report = score_classification(items, lexicon)
    if events:
        report.events = score_grouping(items, settings, lexicon)
    return report
