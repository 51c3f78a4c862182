"""One ban is one event: attach an article's verdicts to the events they report.

An event is one enforcement action: a platform, an action and the targets it hit, within a
time window (``[events] window``, 14 days by default). Rules, applied per article:

* Actions are compared by family: outlets word one takedown as "banned", "removed",
  "suspended" or "shut down", so those (and network takedowns) are one family; ad bans,
  demonetisation, app removals, restrictions, labels, geo-blocks and reinstatements are
  families of their own. Below, "action" means the family.
* The article's verdicts are grouped by (platform, action): one article naming one action
  of one platform against several targets ("Twitter bans ads from RT and Sputnik") reports
  one ban, so the group opens at most one event, with every target listed.
* A verdict joins the event of the same platform and action that lists its target key
  (aliases are resolved by the classifier: "Russia Today" and "RT" share a key) and whose
  reports lie within the window of this one. The group's other targets join that event too.
* A generic target ("pages", "the channel", "accounts": the classifier marks it
  ``target:generic``) names no one: next to a named target of the same group it adds
  nothing; alone, it joins the newest event of the platform and action in the window (the
  same ban, told without the name), and opens one only when there is none.
* A reinstatement ("ban lifted", "account restored") reverses the newest ban of that
  target on that platform, however old; it opens an event of its own only when no such ban
  is known.
* A near-identical story needs no rule here: dedupe stores it as the same article, whose
  events it then counts towards (``refresh_counts``).

``attach_verdicts`` returns what changed: each event touched with its change ("event.opened",
"event.updated" or "event.reversed"). It sends nothing: the caller (``monitor.ingest``)
enqueues the alerts for those changes in the same transaction, so an alert exists exactly
when its event change does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor import dedupe
from monitor.models import Article, ArticleUrl, Event, EventArticle, EventExclusion, EventTarget
from monitor.models import Verdict as VerdictRow
from monitor.states import AlertKind, EventStatus

if TYPE_CHECKING:
    from monitor.config import Settings

REINSTATEMENT = "reinstatement"


def family_of(action: str) -> tuple[str, ...]:
    """The actions outlets use for one another when they report one ban (lexicon.toml's
    ``[families]``: bans, suspensions, removals and restrictions of an account are one
    family; ad bans and demonetisation another), ``(action,)`` for one it does not know."""
    return _families().get(action, (action,))


@cache
def _families() -> Mapping[str, tuple[str, ...]]:
    from monitor.classify import load_lexicon

    return load_lexicon().action_families


HEADLINE_CHARS = 300

# --- scoring candidates -----------------------------------------------------------------
# A report without an exact target match is scored against the newest events of its
# platform and action family in the window:
#   score = NAME_WEIGHT * name agreement (0.8 one name inside the other or initials,
#           0 no name; dedupe.name_agreement; two different names are no candidate)
#         + TEXT_WEIGHT * cosine of the content words of the report's headline and
#           evidence against the event's headlines and evidence (dedupe.text_similarity)
#         + SCALE_WEIGHT when both give the same number ("2,632 pages"), minus it when
#           they give different ones
#         - DAY_WEIGHT * days between the report and the event's span
# and joins the best candidate scoring at least JOIN_SCORE.
#
# Fitted on the development data (banwatch eval's grouping, pairwise F1 / wrong joins) on
# 1 December 2026: coverage set (133 items), tests/data/devset.jsonl (180) and
# tests/data/devgroups.jsonl (57). NAME_WEIGHT 0.3/0.5/0.7 and JOIN_SCORE 0.0-0.6 gave
# coverage F1 0.47-0.53, devset 1.00, devgroups 0.73-0.78, with no wrong join anywhere;
# DAY_WEIGHT 0.03 cost coverage 0.02-0.04 F1 against 0.01. With the words every ban
# report shares left out of the cosine (_vocabulary), JOIN_SCORE 0.1-0.2 gave coverage
# F1 0.506 and 0.3-0.4 gave 0.497. Chosen: 0.2, so that a fuzzy name (0.8 * 0.5 = 0.4)
# joins on its own, a report naming no one needs a cosine of 0.2 of its distinctive
# words; two different names never join (on coverage, joining them at a cosine of 0.7
# gained nothing, and a test pair "Kestrel Media" / "Kestrel Daily" joined by it).
# Most reports still apart on that data are reports the classifier missed, not scores.
MAX_CANDIDATES = 12
NAME_WEIGHT = 0.5
TEXT_WEIGHT = 1.0
SCALE_WEIGHT = 0.1
DAY_WEIGHT = 0.01
JOIN_SCORE = 0.2
_NUMBER = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True, slots=True)
class Change:
    """One event an article changed, and how: the alert kind it calls for."""

    event: Event
    kind: AlertKind  # opened, updated or reversed


@dataclass(slots=True)
class Changes:
    """Event ids one article opened, updated and reversed; ``events`` all of them, in the
    order of the article's verdicts; ``changed`` the events themselves with their change,
    for the caller to enqueue alerts for."""

    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reversed: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)


def attach_verdicts(
    session: Session,
    settings: Settings,
    article: Article,
    verdicts: Iterable[VerdictRow],
    seen_at: datetime,
    *,
    uncertainty: timedelta = timedelta(0),
) -> Changes:
    """Attach a newly stored article's verdicts to events, opening or reversing as needed;
    return what changed (alerts are the caller's to enqueue). ``uncertainty`` widens the
    window for a report dated only to the day, month or year (``monitor.extract``)."""
    window = timedelta(seconds=settings.events.window) + uncertainty
    changes = Changes()
    touched: dict[int, tuple[Event, AlertKind]] = {}
    for group in _groups(verdicts):
        if group[0].action == REINSTATEMENT:
            _reinstate(session, article, group, seen_at, window, touched)
        else:
            _report(session, article, group, seen_at, window, touched)
    changes.events = list(touched)
    for event, kind in list(touched.values()):
        if uncertainty:  # reported "in August": the ban's span covers the whole month
            event.last_seen_at = max(_aware(event.last_seen_at), _aware(seen_at) + uncertainty)
        refresh_counts(session, event)
        if event.dismissed_at is not None:
            del touched[event.id]  # the user said: not a ban; no further alerts
            continue
        {AlertKind.OPENED: changes.opened, AlertKind.UPDATED: changes.updated}.get(
            kind, changes.reversed
        ).append(event.id)
        changes.changed.append(Change(event, kind))
    return changes


def match_event(
    session: Session,
    *,
    platform: str,
    action: str,
    target_key: str,
    seen_at: datetime,
    window: timedelta,
    article_id: int = 0,
) -> Event | None:
    """The event a report of (platform, action, target) seen at ``seen_at`` belongs to.

    Events of the same action family whose reports lie within ``window`` of ``seen_at``
    match (reports may arrive out of order); of several, the one seen last wins. Events
    merged away, and those the user split ``article_id`` out of, never match.
    """
    params = {
        "article_id": article_id,
        "platforms": list(joint_platforms(platform)),
        "actions": list(family_of(action)),
        "target_key": target_key,
        "earliest": seen_at - window,
        "latest": seen_at + window,
    }
    event_id = session.execute(_MATCH, params).scalar()
    return None if event_id is None else session.get(Event, event_id)


def match_reversed_ban(
    session: Session,
    *,
    platform: str,
    target_key: str,
    seen_at: datetime,
    window: timedelta,
    article_id: int = 0,
) -> Event | None:
    """The newest ban of ``target_key`` on ``platform`` that a reinstatement seen at
    ``seen_at`` can lift: any action but a reinstatement, opened before it (a ban can be
    lifted years later, so there is no lower bound)."""
    params = {
        "platforms": list(joint_platforms(platform)),
        "target_key": target_key,
        "latest": seen_at + window,
        "article_id": article_id,
    }
    event_id = session.execute(_MATCH_BAN, params).scalar()
    return None if event_id is None else session.get(Event, event_id)


def _match_statement(*, reinstatement: bool) -> sa.Select[int]:
    """Core, not ORM: the id of the matching event (the ORM select costs 4x to run)."""
    event, target = Event.__table__, EventTarget.__table__
    query = (
        sa.select(event.c.id)
        .join(target, target.c.event_id == event.c.id)
        .where(
            target.c.platform.in_(sa.bindparam("platforms", expanding=True)),
            target.c.target_key == sa.bindparam("target_key"),
            event.c.first_seen_at <= sa.bindparam("latest", type_=event.c.first_seen_at.type),
            *_respected(event),
        )
    )
    if reinstatement:
        query = query.where(target.c.action != REINSTATEMENT)
    else:
        query = query.where(
            target.c.action.in_(sa.bindparam("actions", expanding=True)),
            event.c.last_seen_at >= sa.bindparam("earliest", type_=event.c.last_seen_at.type),
        )
    return query.order_by(event.c.last_seen_at.desc(), event.c.id.desc()).limit(1)


def _candidates_statement() -> sa.Select[Any]:
    """The newest events of a platform (or its joint products) and action family in a
    window, whatever their targets: the candidates a report without an exact target match
    is scored against."""
    event = Event.__table__
    return (
        sa.select(
            event.c.id,
            event.c.headline,
            event.c.evidence,
            event.c.scale,
            event.c.first_seen_at,
            event.c.last_seen_at,
        )
        .where(
            event.c.platform.in_(sa.bindparam("platforms", expanding=True)),
            event.c.action.in_(sa.bindparam("actions", expanding=True)),
            event.c.first_seen_at <= sa.bindparam("latest", type_=event.c.first_seen_at.type),
            # Bounded on both sides, so the index range holds the events of about two
            # windows at any size (bench/dedupe.py: open above, the lookup grew with the
            # table); an event still reported two windows after this report is no
            # candidate for it, only an exact match.
            event.c.last_seen_at.between(
                sa.bindparam("earliest", type_=event.c.last_seen_at.type),
                sa.bindparam("horizon", type_=event.c.last_seen_at.type),
            ),
            *_respected(event),
        )
        .order_by(event.c.last_seen_at.desc(), event.c.id.desc())
        .limit(MAX_CANDIDATES)
    )


def _respected(event: sa.Table) -> tuple[sa.ColumnElement[bool], ...]:
    """What users' corrections rule out: an event merged into another, and an event the
    article was split out of (``monitor.corrections``)."""
    exclusion = EventExclusion.__table__
    return (
        event.c.merged_into_id.is_(None),
        ~sa.exists().where(
            exclusion.c.event_id == event.c.id,
            exclusion.c.article_id == sa.bindparam("article_id"),
        ),
    )


# Built once: building a statement costs more than running it (bench/dedupe.py).
_MATCH = _match_statement(reinstatement=False)
_MATCH_BAN = _match_statement(reinstatement=True)
_CANDIDATES = _candidates_statement()
_CANDIDATE_NAMES = sa.select(
    EventTarget.__table__.c.event_id, EventTarget.__table__.c.target_key
).where(EventTarget.__table__.c.event_id.in_(sa.bindparam("ids", expanding=True)))
_CANDIDATE_TITLES = (
    sa.select(EventArticle.__table__.c.event_id, Article.__table__.c.title)
    .join(Article.__table__, Article.__table__.c.id == EventArticle.__table__.c.article_id)
    .where(EventArticle.__table__.c.event_id.in_(sa.bindparam("ids", expanding=True)))
)


def refresh_counts(session: Session, event: Event) -> None:
    """Article and outlet counts of an event, from its links. Every outlet whose copy of a
    story was stored (duplicates included) counts: a wire story run by two sites was
    reported by two outlets."""
    session.flush()
    event.article_count = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(EventArticle)
            .where(EventArticle.event_id == event.id)
        )
        or 0
    )
    event.outlet_count = (
        session.scalar(
            sa.select(sa.func.count(sa.distinct(ArticleUrl.outlet)))
            .join(EventArticle, EventArticle.article_id == ArticleUrl.article_id)
            .where(EventArticle.event_id == event.id, ArticleUrl.outlet.is_not(None))
        )
        or 0
    )
    event.updated_at = datetime.now(UTC)


def events_of_article(session: Session, article_id: int) -> list[Event]:
    """The events an article is linked to, in the order of its verdicts."""
    return list(
        session.scalars(
            sa.select(Event)
            .join(EventArticle, EventArticle.event_id == Event.id)
            .where(EventArticle.article_id == article_id)
            .order_by(EventArticle.verdict_id, Event.id)
        )
    )


def reversals_reported(session: Session, article_id: int) -> list[int]:
    """The ban events an article reports the lifting of (linked by a reinstatement verdict)."""
    link, verdict, event = EventArticle.__table__, VerdictRow.__table__, Event.__table__
    return list(
        session.scalars(
            sa.select(link.c.event_id)
            .join(verdict, verdict.c.id == link.c.verdict_id)
            .join(event, event.c.id == link.c.event_id)
            .where(
                link.c.article_id == article_id,
                verdict.c.action == REINSTATEMENT,
                event.c.action != REINSTATEMENT,
            )
        )
    )


# --- steps ---------------------------------------------------------------------------


def _groups(verdicts: Iterable[VerdictRow]) -> list[list[VerdictRow]]:
    """Verdicts grouped by (platform, action family), in the classifier's order, one per
    target; the products of a company that enforces across them at once (Facebook and
    Instagram) are one platform here."""
    groups: dict[tuple[str, str], dict[str, VerdictRow]] = {}
    for verdict in verdicts:
        family = family_of(verdict.action)
        platforms = joint_platforms(verdict.platform)
        by_target = groups.setdefault((platforms[0], family[0]), {})
        best = by_target.get(verdict.target_key)
        if best is None or verdict.score > best.score:
            by_target[verdict.target_key] = verdict
    return [list(by_target.values()) for by_target in groups.values()]


def joint_platforms(platform: str) -> tuple[str, ...]:
    """``platform`` and the products it is enforced together with (the lexicon's
    ``joint_families``: Meta's Facebook, Instagram, Threads...), ``platform`` first."""
    return _joint_table().get(platform, (platform,))


@cache
def _joint_table() -> dict[str, tuple[str, ...]]:
    from monitor.classify import load_lexicon

    lexicon = load_lexicon()
    members: dict[str, list[str]] = {}
    for platform, family in lexicon.families.items():
        if family in lexicon.joint_families:
            members.setdefault(family, []).append(platform)
    table: dict[str, tuple[str, ...]] = {}
    for group in members.values():
        for platform in group:
            table[platform] = (platform, *sorted(p for p in group if p != platform))
    return table


def _report(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """One (platform, action family) group of ban verdicts: join the event(s) that list
    their targets (two such events prove one ban: they are merged); else the candidate
    event the report scores best against (``_best_candidate``); else open one."""
    named = [v for v in group if not is_generic(v)]
    if not named:
        _report_generic(session, article, group, seen_at, window, touched)
        return
    group = named
    matched, unmatched = _partition(
        group,
        lambda verdict: match_event(
            session,
            platform=verdict.platform,
            action=verdict.action,
            target_key=verdict.target_key,
            seen_at=seen_at,
            window=window,
            article_id=article.id,
        ),
    )
    if not matched:
        event = _best_candidate(session, article, group, seen_at, window)
        if event is not None:
            matched[event.id] = (event, [])
    if not matched:
        _open_group(session, group, article, seen_at, touched)
        return
    primary, _ = max(
        matched.values(), key=lambda item: (len(item[1]), item[0].last_seen_at, item[0].id)
    )
    for verdict in unmatched:
        matched[primary.id][1].append(verdict)
        _add_target(session, primary, verdict)
    for event_id in [e for e in matched if e != primary.id]:
        if _merge_proven(session, primary, matched[event_id][0], touched):
            matched[primary.id][1].extend(matched.pop(event_id)[1])
    for event, verdicts in matched.values():
        best = max(verdicts, key=lambda v: v.score)
        if _link(session, event, article, best):
            _update(event, article, best, seen_at)
            touched.setdefault(event.id, (event, AlertKind.UPDATED))


def _merge_proven(
    session: Session, survivor: Event, other: Event, touched: dict[int, tuple[Event, AlertKind]]
) -> bool:
    """One article names targets of two events of one platform and action family: they
    are one ban, merged without an alert of its own, unless the user split them apart."""
    from monitor.corrections import merge_events

    link, exclusion = EventArticle.__table__, EventExclusion.__table__
    split = session.scalar(
        sa.select(sa.func.count())
        .select_from(exclusion)
        .join(link, link.c.article_id == exclusion.c.article_id)
        .where(
            sa.or_(
                sa.and_(exclusion.c.event_id == survivor.id, link.c.event_id == other.id),
                sa.and_(exclusion.c.event_id == other.id, link.c.event_id == survivor.id),
            )
        )
    )
    if split:
        return False
    merge_events(session, survivor.id, other.id)
    touched.pop(other.id, None)
    return True


def _report_generic(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """Verdicts naming no one ("YouTube demonetised the channel"): the candidate event
    the report's words match best (``_best_candidate``), else a new event."""
    best = max(group, key=lambda v: v.score)
    event = _best_candidate(session, article, group, seen_at, window)
    if event is None:
        _open_group(session, group, article, seen_at, touched)
        return
    if _link(session, event, article, best):
        _update(event, article, best, seen_at)
        touched.setdefault(event.id, (event, AlertKind.UPDATED))


def _best_candidate(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
) -> Event | None:
    best = max(group, key=lambda v: v.score)
    return best_candidate(
        session,
        platform=best.platform,
        action=best.action,
        target_keys=[v.target_key for v in group if not is_generic(v)],
        text=" ".join([article.title or "", *(v.evidence for v in group)]),
        scale=best.scale,
        seen_at=seen_at,
        window=window,
        article_id=article.id,
    )


def best_candidate(
    session: Session,
    *,
    platform: str,
    action: str,
    target_keys: list[str],
    text: str,
    scale: str | None,
    seen_at: datetime,
    window: timedelta,
    article_id: int = 0,
) -> Event | None:
    """The event a report without an exact target match belongs to: the best-scoring
    candidate at or above ``JOIN_SCORE`` (see the weights above), or None. One indexed
    query for at most ``MAX_CANDIDATES`` events and one for their headlines, whatever the
    size of the database (``bench/dedupe.py``)."""
    params = {
        "platforms": list(joint_platforms(platform)),
        "actions": list(family_of(action)),
        "earliest": seen_at - window,
        "latest": seen_at + window,
        "horizon": seen_at + 2 * window,
        "article_id": article_id,
    }
    candidates = session.execute(_CANDIDATES, params).all()
    if not candidates:
        return None
    ids = [c.id for c in candidates]
    # Core, not ORM: one query each for the candidates' names and headlines (loading each
    # event and its targets cost 3-6 ms a candidate, bench/dedupe.py).
    names: dict[int, list[str]] = {}
    if target_keys:
        for event_id, key in session.execute(_CANDIDATE_NAMES, {"ids": ids}):
            names.setdefault(event_id, []).append(key)
    titles: dict[int, list[str]] = {}
    for event_id, title in session.execute(_CANDIDATE_TITLES, {"ids": ids}):
        titles.setdefault(event_id, []).append(title or "")
    common = _vocabulary()
    terms = dedupe.text_terms(text) - common
    number = _scale_number(scale)
    scored = []
    for c in candidates:
        agreement = 0.0
        if target_keys:
            agreement = max(
                (dedupe.name_agreement(k, n) for k in target_keys for n in names.get(c.id, ())),
                default=-1.0,
            )
        if agreement < 0:
            continue  # two different names: never one ban by wording alone
        their = (
            dedupe.text_terms(" ".join([c.headline or "", c.evidence or "", *titles.get(c.id, [])]))
            - common
        )
        score = (
            NAME_WEIGHT * agreement
            + TEXT_WEIGHT * dedupe.text_similarity(terms, their)
            - DAY_WEIGHT * _days_apart(seen_at, c.first_seen_at, c.last_seen_at)
        )
        theirs = _scale_number(c.scale)
        if number is not None and theirs is not None:
            score += SCALE_WEIGHT if number == theirs else -SCALE_WEIGHT
        scored.append((score, _aware(c.last_seen_at), c.id))
    if not scored:
        return None
    score, _, event_id = max(scored)
    return session.get(Event, event_id) if score >= JOIN_SCORE else None


@cache
def _vocabulary() -> frozenset[str]:
    """Words every report of any ban shares (platform names, enforcement verbs, what they
    act on): they say nothing about which ban a report is about."""
    from monitor.classify import load_lexicon

    lexicon = load_lexicon()
    phrases = [
        *(a for names in lexicon.platforms.values() for a in names),
        *lexicon.platforms,
        *(p for forms in lexicon.actions.values() for ps in forms.values() for p in ps),
        *lexicon.actions,
        "removal", "network_takedown", "suspension", "ban", "ad_ban", "demonetisation",
        "restriction", "app_removal", "geo_block", "label", "reinstatement",
    ]  # fmt: skip
    return frozenset(
        w for p in phrases for w in (*dedupe.text_terms(p.replace("_", " ")), p.lower())
    )


def _scale_number(scale: str | None) -> str | None:
    found = _NUMBER.search(scale or "")
    return found.group().replace(",", "").rstrip(".") if found else None


def _days_apart(seen_at: datetime, first: datetime, last: datetime) -> float:
    first, last = _aware(first), _aware(last)
    seen = _aware(seen_at)
    if first <= seen <= last:
        return 0.0
    return min(abs((seen - first).total_seconds()), abs((seen - last).total_seconds())) / 86400


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_generic(verdict: VerdictRow) -> bool:
    """Whether the classifier found only a generic noun ("pages") as the target."""
    rules = verdict.rules.get("rules", []) if isinstance(verdict.rules, dict) else []
    return "target:generic" in rules


def _reinstate(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """Reinstatement verdicts: reverse the bans they lift; a lifting of a ban never seen
    is an event of its own (joined by later reports of the same reinstatement)."""
    bans, unmatched = _partition(
        group,
        lambda verdict: match_reversed_ban(
            session,
            platform=verdict.platform,
            target_key=verdict.target_key,
            seen_at=seen_at,
            window=window,
            article_id=article.id,
        ),
    )
    for ban, verdicts in bans.values():
        if not _link(session, ban, article, verdicts[0]):
            continue
        ban.first_seen_at = earliest(ban.first_seen_at, seen_at)
        ban.last_seen_at = max(ban.last_seen_at, seen_at)
        if ban.status != EventStatus.REVERSED:
            ban.status = EventStatus.REVERSED
            ban.reversed_at = seen_at
            touched[ban.id] = (ban, AlertKind.REVERSED)
        else:
            touched.setdefault(ban.id, (ban, AlertKind.UPDATED))
    if unmatched:
        _report(session, article, unmatched, seen_at, window, touched)


def _partition(
    group: list[VerdictRow], find: Callable[[VerdictRow], Event | None]
) -> tuple[dict[int, tuple[Event, list[VerdictRow]]], list[VerdictRow]]:
    """The group's verdicts by the event ``find`` matches each to (in the group's order),
    and those it matches to none."""
    matched: dict[int, tuple[Event, list[VerdictRow]]] = {}
    unmatched: list[VerdictRow] = []
    for verdict in group:
        event = find(verdict)
        if event is None:
            unmatched.append(verdict)
        else:
            matched.setdefault(event.id, (event, []))[1].append(verdict)
    return matched, unmatched


def _open_group(
    session: Session,
    group: list[VerdictRow],
    article: Article,
    seen_at: datetime,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """One new event for a group no event matched: its first verdict's, listing every
    target of the group; a reinstatement of a ban never seen opens reversed."""
    event = _open(session, group[0], article, seen_at)
    opening = AlertKind.REVERSED if event.status == EventStatus.REVERSED else AlertKind.OPENED
    touched[event.id] = (event, opening)
    for verdict in group[1:]:
        _add_target(session, event, verdict)
    _link(session, event, article, group[0])


def _open(session: Session, verdict: VerdictRow, article: Article, seen_at: datetime) -> Event:
    reversal = verdict.action == REINSTATEMENT
    event = Event(
        platform=verdict.platform,
        action=verdict.action,
        target=verdict.target,
        target_key=verdict.target_key,
        scale=verdict.scale,
        status=EventStatus.REVERSED if reversal else EventStatus.ACTIVE,
        reversed_at=seen_at if reversal else None,
        first_seen_at=seen_at,
        last_seen_at=seen_at,
        headline=_headline(article, verdict),
        score=verdict.score,
        evidence=verdict.evidence,
    )
    session.add(event)
    session.flush()
    _add_target(session, event, verdict)
    return event


def _add_target(session: Session, event: Event, verdict: VerdictRow) -> None:
    exists = session.get(EventTarget, (event.id, verdict.target_key))
    if exists is not None:
        return
    position = len(event.targets)
    event.targets.append(
        EventTarget(
            target_key=verdict.target_key,
            target=verdict.target,
            platform=event.platform,
            action=event.action,
            position=position,
        )
    )
    session.flush()


def _link(session: Session, event: Event, article: Article, verdict: VerdictRow) -> bool:
    """Link the article to the event; False when it already was."""
    if session.get(EventArticle, (event.id, article.id)) is not None:
        return False
    session.add(EventArticle(event_id=event.id, article_id=article.id, verdict_id=verdict.id))
    session.flush()
    return True


def _update(event: Event, article: Article, verdict: VerdictRow, seen_at: datetime) -> None:
    """A further report: widen the seen span; the surest report names the headline."""
    event.first_seen_at = earliest(event.first_seen_at, seen_at)
    event.last_seen_at = max(_aware(event.last_seen_at), _aware(seen_at))
    if verdict.score > event.score:
        event.score = verdict.score
        event.headline = _headline(article, verdict)
        event.evidence = verdict.evidence
    if verdict.scale and not event.scale:
        event.scale = verdict.scale


def earliest(current: datetime, new: datetime) -> datetime:
    """The earlier of two report times, except that a date-only value (midnight) never
    overrides a full timestamp of the same day, and a full one replaces it."""
    current, new = _aware(current), _aware(new)
    if current.date() == new.date() and _date_only(current) != _date_only(new):
        return new if _date_only(current) else current
    return min(current, new)


def _date_only(value: datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def _headline(article: Article, verdict: VerdictRow) -> str:
    return (article.title or verdict.evidence)[:HEADLINE_CHARS]
