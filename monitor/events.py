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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.models import Article, ArticleUrl, Event, EventArticle, EventExclusion, EventTarget
from monitor.models import Verdict as VerdictRow
from monitor.states import AlertKind, EventStatus

if TYPE_CHECKING:
    from monitor.config import Settings

REINSTATEMENT = "reinstatement"
ACCOUNT_ACTIONS = ("ban", "suspension", "removal", "network_takedown")
_FAMILIES: tuple[tuple[str, ...], ...] = (
    ACCOUNT_ACTIONS,
    ("ad_ban",),
    ("demonetisation",),
    ("app_removal",),
    ("restriction",),
    ("label",),
    ("geo_block",),
    (REINSTATEMENT,),
)
FAMILY = {action: family for family in _FAMILIES for action in family}
HEADLINE_CHARS = 300


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
) -> Changes:
    """Attach a newly stored article's verdicts to events, opening or reversing as needed;
    return what changed (alerts are the caller's to enqueue)."""
    window = timedelta(seconds=settings.events.window)
    changes = Changes()
    touched: dict[int, tuple[Event, AlertKind]] = {}
    for group in _groups(verdicts):
        if group[0].action == REINSTATEMENT:
            _reinstate(session, article, group, seen_at, window, touched)
        else:
            _report(session, article, group, seen_at, window, touched)
    changes.events = list(touched)
    for event, kind in list(touched.values()):
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
        "platform": platform,
        "actions": list(FAMILY.get(action, (action,))),
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
        "platform": platform,
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
            target.c.platform == sa.bindparam("platform"),
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


def _match_any_statement() -> sa.Select[int]:
    """The newest event of a platform and action family in a window, whatever its target."""
    event = Event.__table__
    return (
        sa.select(event.c.id)
        .where(
            event.c.platform == sa.bindparam("platform"),
            event.c.action.in_(sa.bindparam("actions", expanding=True)),
            event.c.first_seen_at <= sa.bindparam("latest", type_=event.c.first_seen_at.type),
            event.c.last_seen_at >= sa.bindparam("earliest", type_=event.c.last_seen_at.type),
            *_respected(event),
        )
        .order_by(event.c.last_seen_at.desc(), event.c.id.desc())
        .limit(1)
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
_MATCH_ANY = _match_any_statement()


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
    """Verdicts grouped by (platform, action), in the classifier's order, one per target."""
    groups: dict[tuple[str, str], dict[str, VerdictRow]] = {}
    for verdict in verdicts:
        family = FAMILY.get(verdict.action, (verdict.action,))
        by_target = groups.setdefault((verdict.platform, family[0]), {})
        best = by_target.get(verdict.target_key)
        if best is None or verdict.score > best.score:
            by_target[verdict.target_key] = verdict
    return [list(by_target.values()) for by_target in groups.values()]


def _report(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """One (platform, action) group of ban verdicts: join the event(s) that list their
    targets; targets no event lists join the best-matching one, or open a new one."""
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
        _open_group(session, group, article, seen_at, touched)
        return
    primary, _ = max(
        matched.values(), key=lambda item: (len(item[1]), item[0].last_seen_at, item[0].id)
    )
    for verdict in unmatched:
        matched[primary.id][1].append(verdict)
        _add_target(session, primary, verdict)
    for event, verdicts in matched.values():
        best = max(verdicts, key=lambda v: v.score)
        if _link(session, event, article, best):
            _update(event, article, best, seen_at)
            touched.setdefault(event.id, (event, AlertKind.UPDATED))


def _report_generic(
    session: Session,
    article: Article,
    group: list[VerdictRow],
    seen_at: datetime,
    window: timedelta,
    touched: dict[int, tuple[Event, AlertKind]],
) -> None:
    """Verdicts naming no one ("YouTube demonetised the channel"): the newest event of the
    same platform and action family in the window, else a new event."""
    best = max(group, key=lambda v: v.score)
    params = {
        "platform": best.platform,
        "actions": list(FAMILY.get(best.action, (best.action,))),
        "earliest": seen_at - window,
        "latest": seen_at + window,
        "article_id": article.id,
    }
    event_id = session.execute(_MATCH_ANY, params).scalar()
    if event_id is None:
        _open_group(session, group, article, seen_at, touched)
        return
    event = session.get_one(Event, event_id)
    if _link(session, event, article, best):
        _update(event, article, best, seen_at)
        touched.setdefault(event.id, (event, AlertKind.UPDATED))


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
        ban.first_seen_at = min(ban.first_seen_at, seen_at)
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
    event.first_seen_at = min(event.first_seen_at, seen_at)
    event.last_seen_at = max(event.last_seen_at, seen_at)
    if verdict.score > event.score:
        event.score = verdict.score
        event.headline = _headline(article, verdict)
        event.evidence = verdict.evidence
    if verdict.scale and not event.scale:
        event.scale = verdict.scale


def _headline(article: Article, verdict: VerdictRow) -> str:
    return (article.title or verdict.evidence)[:HEADLINE_CHARS]
