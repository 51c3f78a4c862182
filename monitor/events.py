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
# platform and action family in the window. What is compared: the report's headline, the
# first LEAD_CHARS of its text and its evidence, against the event's headline and
# evidence and each of its first REPORTS_PER_CANDIDATE reports (headline and lead).
#   score = NAME_WEIGHT * name agreement (1 the same folded name, 0.8 one name inside the
#           other (a word's other ending counting as the word), initials, or a network
#           and its origin's adjective; 0 when either side names no one;
#           dedupe.name_agreement)
#         + MENTION_WEIGHT for each side whose text names the other's target as whole
#           words ("r/Harbor Traders" in a report whose verdict says "Ridgeline Motors";
#           an unnamed network by its origin or its people's word, a person by a surname
#           written as a name; dedupe.Mentions)
#         + TEXT_WEIGHT * the best cosine of the report's distinctive words against one of
#           the event's texts (names and numbers count ENTITY_WEIGHT; words every ban
#           report shares are left out: _vocabulary; dedupe.text_similarity)
#         + SCALE_WEIGHT when both give the same number ("2,632 pages"), minus it when
#           they give different ones
#         - DAY_WEIGHT * days between the report and the event's span
# and joins the best candidate scoring at least JOIN_SCORE. Two different names (agreement
# -1) are a candidate only when one side's text names the other's target AND the texts
# agree beyond the names (the cosine without either side's name words is at least
# DIFFERENT_NAMES_SIMILARITY): a story about one person that names another shares the
# names, not the rest of the story. The event's key from a generic verdict ("accounts")
# is no name; where a side names no one, it joins only when one text names the other's
# target or both texts carry a common name (words alone, "channel" and "on Wednesday",
# joined two bans of one platform's busy day).
#
# Fitted on the development data (banwatch eval's grouping: pairwise F1, events per ban,
# wrong joins) on 1 December 2026: coverage set (133 items), tests/data/devset.jsonl
# (180), devgroups.jsonl (57), holdout.jsonl (30). Before this scoring: coverage F1 0.649
# (1.50 events per ban), devgroups 0.800 (1.16), devset and holdout 1.0, no wrong join.
# Headline and lead instead of headline and evidence, generic keys as no name and folded
# names: coverage 0.697, devgroups 0.800. Two different names joined on a mention and the
# full cosine >= 0.3/0.25/0.2/0.15: coverage 0.755/0.767/0.773/0.773(0.802 with
# MENTION_WEIGHT 0.1), devgroups 0.842/0.862/0.862/0.862, but a test pair "Kestrel Media"
# / "Dana Roth" (one founded the other; devgroups, six months apart) scores 0.46 on the
# full cosine and would join within a window. Without the names' words that pair falls
# to 0.14 while one-ban pairs with a mention keep 0-0.47 (median 0.19); over every pair
# of one platform in that data with two different names and a mention, the highest of
# two bans were 0.20 and 0.25 (of other action families or months apart: never
# candidates). DIFFERENT_NAMES_SIMILARITY 0.25/0.2/0.15/0.1 gave coverage F1
# 0.749/0.755/0.790/0.802 and devgroups 0.800/0.800/0.842/0.842 (with the network-origin
# agreement), no wrong join anywhere: chosen 0.15. MENTION_WEIGHT 0 or 0.1 changed
# nothing at 0.15; kept at 0.1 so that a report naming the event's target wins over one
# merely worded alike. Earlier (same day): NAME_WEIGHT 0.3-0.7 and JOIN_SCORE 0.0-0.6
# changed coverage F1 by at most 0.06; DAY_WEIGHT 0.03 cost 0.02-0.04 against 0.01;
# JOIN_SCORE 0.2 lets a fuzzy name (0.8 * 0.5 = 0.4) join on its own and asks a report
# naming no one for a cosine of 0.2. After the classifier's fixes of the same afternoon
# (main at 19f67db: coverage 0.950 and 1.06 events per ban, devgroups 0.952 and 1.08 with
# the old scoring) this scoring gives coverage 0.963 (1.03), and with a word's other
# ending as the same word ("querdenken" / "querdenker", dedupe._same_word) 0.967 (1.00);
# devgroups 0.952 (1.08), devset and holdout 1.0, no wrong join. What is still apart
# there: reports the classifier missed, "Ye" / "Kanye West" (short texts sharing one word
# beyond the names) and "Min Aung Hlaing" / "Tatmadaw" (neither names the other).
# With the classifier that good, few reports reach this scoring on the development data
# (JOIN_SCORE 0.1-0.4 changed nothing there), while the held-out set's verdicts name the
# right target for only 0.78 of its stories. So the rules above were also measured with
# the targets of a share of the reports made wrong on purpose (half a generic "accounts",
# half another capitalised name of the text; 6 seeds, a throwaway script):
# with 30% wrong, coverage / devgroups / devset F1 0.700 / 0.796 / 0.763 with the old
# scoring, 0.939 / 0.903 / 0.961 with this one but 4 wrong joins (a report naming no one
# joined another ban of the same day on "channel" and "Wednesday"), and 0.939 / 0.934 /
# 0.961 with no wrong join once a nameless side needs a mention or a common name (days
# and months no longer count as words); with 50% wrong, 0.915 / 0.924 / 0.919, no wrong
# join. tests/data/devgroups2.jsonl (82 items, written without reading the rules) came
# later: 0.797 (1.14 events per ban); with initials of a run of words ("ny post" / "new
# york post"), a network's origin named by its people's word ("Thai" / Thailand) and
# handles and subreddits as names ("r/incels"), 0.817 (1.11), others unchanged. Its 30%
# perturbation showed 3 wrong joins, all one: a report dated only "September" matched
# Alex Jones's one-week timeout of mid-August (a month-dated report widened the window
# on both sides), and the September ban's reports joined it. Matching now centres on the
# dated span and widens by half of it: no wrong join; perturbed F1 coverage / devgroups
# / devgroups2 / devset 0.947 / 0.934 / 0.726 / 0.961 (unperturbed 0.967 / 0.952 /
# 0.817 / 1.0, holdout 1.0). A surname written as a name mentions the full name ("Trump"
# for "donald trump"): perturbed coverage 0.947 -> 0.949, devgroups2 0.752 -> 0.766,
# devgroups3 0.626 -> 0.629 (the lower case word too: devgroups 0.940 but "west" would
# name Kanye West), unperturbed unchanged, no wrong join. Later the same day, with
# devgroups4-6 (written blind, then tuned on): an unnamed network against a name agrees 0
# (unknown), not -1 ("Bolsonaro" / "network linked to Brazil", "Duterte" / "network
# linked to Philippines" are one takedown): devgroups3 0.808 -> 0.832, devgroups5 0.699 ->
# 0.729, the rest unchanged, no wrong join anywhere.
MAX_CANDIDATES = 12
# A report dated only to the month stretches its event's last_seen_at to the month's end:
# candidates may be seen that much later than two windows after a report (the bound keeps
# the index range to a few weeks of events at any size; bench/dedupe.py).
HORIZON_SLACK = timedelta(days=31)
REPORTS_PER_CANDIDATE = 3
LEAD_CHARS = 600
NAME_WEIGHT = 0.5
MENTION_WEIGHT = 0.1
TEXT_WEIGHT = 1.0
SCALE_WEIGHT = 0.1
DAY_WEIGHT = 0.01
JOIN_SCORE = 0.2
DIFFERENT_NAMES_SIMILARITY = 0.15
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
    # A report dated "in August" happened somewhere in August: its events lie within the
    # window of that span, not of its first day, so matching centres on the span and widens
    # by half of it (symmetric widening let a report of September match a ban of mid-August
    # that a later, different ban of the same target then joined).
    window = timedelta(seconds=settings.events.window) + uncertainty / 2
    changes = Changes()
    touched: dict[int, tuple[Event, AlertKind]] = {}
    report = _Report(session, article, seen_at, seen_at + uncertainty / 2, window, touched)
    for group in _groups(verdicts):
        if group[0].action == REINSTATEMENT:
            _reinstate(report, group)
        else:
            _report(report, group)
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


def _candidate_reports_statement() -> sa.Select[Any]:
    """The first ``REPORTS_PER_CANDIDATE`` reports of each candidate event: headline,
    lead, and the target key of the verdict that linked it (with its rules, which say
    whether that key is only a generic noun)."""
    link, article, verdict = EventArticle.__table__, Article.__table__, VerdictRow.__table__
    rank = sa.func.row_number().over(
        partition_by=link.c.event_id, order_by=(link.c.added_at, link.c.article_id)
    )
    inner = (
        sa.select(
            link.c.event_id,
            article.c.title,
            sa.func.substr(article.c.text, 1, LEAD_CHARS).label("lead"),
            verdict.c.target_key,
            verdict.c.rules,
            rank.label("rank"),
        )
        .select_from(link)
        .join(article, article.c.id == link.c.article_id)
        .outerjoin(verdict, verdict.c.id == link.c.verdict_id)
        .where(link.c.event_id.in_(sa.bindparam("ids", expanding=True)))
        .subquery()
    )
    return sa.select(
        inner.c.event_id, inner.c.title, inner.c.lead, inner.c.target_key, inner.c.rules
    ).where(inner.c.rank <= REPORTS_PER_CANDIDATE)


_CANDIDATE_REPORTS = _candidate_reports_statement()


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


@dataclass(frozen=True, slots=True)
class _Report:
    """The article being attached, as every step sees it: where it is stored, when it was
    reported, the window its events must lie in, and the events it changed so far (with
    the alert each change calls for)."""

    session: Session
    article: Article
    seen_at: datetime  # when the story was reported (the start of its span if dated only)
    match_at: datetime  # the middle of that span: events lie within ``window`` of it
    window: timedelta
    touched: dict[int, tuple[Event, AlertKind]]


def _report(report: _Report, group: list[VerdictRow]) -> None:
    """One (platform, action family) group of ban verdicts: join the event(s) that list
    their targets (two such events prove one ban: they are merged); else the candidate
    event the report scores best against (``_best_candidate``); else open one."""
    session, article, match_at, window = (
        report.session, report.article, report.match_at, report.window
    )  # fmt: skip
    named = [v for v in group if not is_generic(v)]
    if not named:
        _report_generic(report, group)
        return
    group = named
    matched, unmatched = _partition(
        group,
        lambda verdict: match_event(
            session,
            platform=verdict.platform,
            action=verdict.action,
            target_key=verdict.target_key,
            seen_at=match_at,
            window=window,
            article_id=article.id,
        ),
    )
    if not matched:
        event = _best_candidate(report, group)
        if event is not None:
            matched[event.id] = (event, [])
    if not matched:
        _open_group(report, group)
        return
    primary, _ = max(
        matched.values(), key=lambda item: (len(item[1]), item[0].last_seen_at, item[0].id)
    )
    for verdict in unmatched:
        matched[primary.id][1].append(verdict)
        _add_target(session, primary, verdict)
    for event_id in [e for e in matched if e != primary.id]:
        if _merge_proven(session, primary, matched[event_id][0], report.touched):
            matched[primary.id][1].extend(matched.pop(event_id)[1])
    for event, verdicts in matched.values():
        best = max(verdicts, key=lambda v: v.score)
        if _link(session, event, article, best):
            _update(event, article, best, report.seen_at)
            report.touched.setdefault(event.id, (event, AlertKind.UPDATED))


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


def _report_generic(report: _Report, group: list[VerdictRow]) -> None:
    """Verdicts naming no one ("YouTube demonetised the channel"): the candidate event
    the report's words match best (``_best_candidate``), else a new event."""
    best = max(group, key=lambda v: v.score)
    event = _best_candidate(report, group)
    if event is None:
        _open_group(report, group)
        return
    if _link(report.session, event, report.article, best):
        _update(event, report.article, best, report.seen_at)
        report.touched.setdefault(event.id, (event, AlertKind.UPDATED))


def _best_candidate(report: _Report, group: list[VerdictRow]) -> Event | None:
    best = max(group, key=lambda v: v.score)
    article = report.article
    scores = score_candidates(
        report.session,
        platform=best.platform,
        action=best.action,
        target_keys=[v.target_key for v in group if not is_generic(v)],
        text="\n".join(
            [article.title or "", (article.text or "")[:LEAD_CHARS], *(v.evidence for v in group)]
        ),
        scale=best.scale,
        seen_at=report.match_at,
        window=report.window,
        article_id=article.id,
    )
    return best_candidate(report.session, scores)


@dataclass(frozen=True, slots=True)
class Score:
    """How one candidate event scored against a report (``score_candidates``)."""

    event_id: int
    last_seen_at: datetime
    agreement: float  # dedupe.name_agreement of the closest pair of names, 0 without names
    named: bool  # the report's text names the event's target
    named_back: bool  # the event's reports name the report's target
    similarity: float  # dedupe.text_similarity of the two texts' distinctive words
    days: float  # between the report and the event's span
    scale: int  # +1 the same number, -1 different numbers, 0 either gives none
    total: float
    eligible: bool  # False: two different names that nothing else ties together


def best_candidate(session: Session, scores: list[Score]) -> Event | None:
    """The event a report without an exact target match belongs to, of its scored
    candidates (``score_candidates``): the best eligible one at or above ``JOIN_SCORE``
    (see the weights above), or None."""
    ranked = [(s.total, _aware(s.last_seen_at), s.event_id) for s in scores if s.eligible]
    if not ranked:
        return None
    total, _, event_id = max(ranked)
    return session.get(Event, event_id) if total >= JOIN_SCORE else None


def score_candidates(
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
) -> list[Score]:
    """Every candidate event of a report, scored (``text`` is the report's headline,
    lead and evidence): one indexed query for at most
    ``MAX_CANDIDATES`` events, one for their names and one for the first
    ``REPORTS_PER_CANDIDATE`` reports of each, whatever the size of the database
    (``bench/dedupe.py``)."""
    params = {
        "platforms": list(joint_platforms(platform)),
        "actions": list(family_of(action)),
        "earliest": seen_at - window,
        "latest": seen_at + window,
        "horizon": seen_at + 2 * window + HORIZON_SLACK,
        "article_id": article_id,
    }
    candidates = session.execute(_CANDIDATES, params).all()
    if not candidates:
        return []
    ids = [c.id for c in candidates]
    # Core, not ORM: loading each event and its targets cost 3-6 ms a candidate.
    keys: dict[int, set[str]] = {}
    for event_id, key in session.execute(_CANDIDATE_NAMES, {"ids": ids}):
        keys.setdefault(event_id, set()).add(key)
    texts: dict[int, list[str]] = {}
    generic: dict[int, set[str]] = {}
    named: dict[int, set[str]] = {}
    for row in session.execute(_CANDIDATE_REPORTS, {"ids": ids}):
        texts.setdefault(row.event_id, []).append(f"{row.title or ''}\n{row.lead or ''}")
        if row.target_key is not None:
            rules = row.rules.get("rules", []) if isinstance(row.rules, dict) else []
            side = generic if "target:generic" in rules else named
            side.setdefault(row.event_id, set()).add(row.target_key)
    ours = [dedupe.fold_key(k) for k in target_keys if k]
    common = _vocabulary()
    terms = _distinctive(text, common)
    mentions = dedupe.Mentions.of(text)
    number = _scale_number(scale)
    scores = []
    for c in candidates:
        names = keys.get(c.id, set()) - (generic.get(c.id, set()) - named.get(c.id, set()))
        theirs = [dedupe.fold_key(k) for k in names]
        docs = [f"{c.headline or ''}\n{c.evidence or ''}", *texts.get(c.id, ())]
        agreement = max((dedupe.name_agreement(a, b) for a in ours for b in theirs), default=0.0)
        said = any(mentions.names(k) for k in theirs)
        back = bool(ours) and dedupe.names_any("\n".join(docs), ours)
        days = _days_apart(seen_at, c.first_seen_at, c.last_seen_at)
        other = _scale_number(c.scale)
        same_scale = 0 if number is None or other is None else (1 if number == other else -1)
        if agreement < 0 and not (said or back):
            # Two different names, neither text naming the other's target: never one ban
            # by wording alone, so the words are not even read (bench/dedupe.py: most
            # candidates of a named report are other bans of the platform).
            scores.append(Score(c.id, c.last_seen_at, agreement, said, back, 0.0, days,
                                same_scale, 0.0, eligible=False))  # fmt: skip
            continue
        doc_terms = [_distinctive(d, common) for d in docs]
        similarity = max(dedupe.text_similarity(terms, d) for d in doc_terms)
        total = (
            NAME_WEIGHT * max(agreement, 0.0)
            + MENTION_WEIGHT * (said + back)
            + TEXT_WEIGHT * similarity
            + SCALE_WEIGHT * same_scale
            - DAY_WEIGHT * days
        )
        if agreement < 0:
            # Two different names are one ban only when the texts tie them together: one
            # names the other's target, and their words agree beyond the names themselves
            # (a story about one person that names another shares the names, not the rest).
            beyond = _similarity_beyond(terms, doc_terms, [*ours, *theirs])
            eligible = beyond >= DIFFERENT_NAMES_SIMILARITY
        elif agreement == 0:
            # A side whose verdict names no one: the other's target named in its text, or
            # at least one name both texts carry; words alone ("channel", "on Wednesday")
            # join two stories of one platform's busy day.
            eligible = said or back or any(_shares_a_name(terms, d) for d in doc_terms)
        else:
            eligible = True
        scores.append(
            Score(c.id, c.last_seen_at, agreement, said, back, similarity, days, same_scale,
                  total, eligible)
        )  # fmt: skip
    return scores


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


def _shares_a_name(ours: dict[str, float], theirs: dict[str, float]) -> bool:
    """Whether two texts share a word each writes as a name (``dedupe.weighted_terms``)."""
    return any(
        w == dedupe.ENTITY_WEIGHT and theirs.get(t) == dedupe.ENTITY_WEIGHT for t, w in ours.items()
    )


def _similarity_beyond(
    terms: dict[str, float], docs: list[dict[str, float]], names: list[str]
) -> float:
    """The text similarity of a report and a candidate's reports, without the words of
    either side's target names."""
    drop = {w for name in names for w in name.split()}
    ours = {t: w for t, w in terms.items() if t not in drop}
    return max(
        dedupe.text_similarity(ours, {t: w for t, w in d.items() if t not in drop}) for d in docs
    )


def _distinctive(text: str, common: frozenset[str]) -> dict[str, float]:
    terms = dedupe.weighted_terms(text)
    return {t: w for t, w in terms.items() if t not in common}


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


def _reinstate(report: _Report, group: list[VerdictRow]) -> None:
    """Reinstatement verdicts: reverse the bans they lift; a lifting of a ban never seen
    is an event of its own (joined by later reports of the same reinstatement)."""
    session, article, seen_at, touched = (
        report.session, report.article, report.seen_at, report.touched
    )  # fmt: skip
    bans, unmatched = _partition(
        group,
        lambda verdict: match_reversed_ban(
            session,
            platform=verdict.platform,
            target_key=verdict.target_key,
            seen_at=report.match_at,
            window=report.window,
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
        _report(report, unmatched)


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


def _open_group(report: _Report, group: list[VerdictRow]) -> None:
    """One new event for a group no event matched: its first verdict's, listing every
    target of the group; a reinstatement of a ban never seen opens reversed."""
    session = report.session
    event = _open(session, group[0], report.article, report.seen_at)
    opening = AlertKind.REVERSED if event.status == EventStatus.REVERSED else AlertKind.OPENED
    report.touched[event.id] = (event, opening)
    for verdict in group[1:]:
        _add_target(session, event, verdict)
    _link(session, event, report.article, group[0])


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
