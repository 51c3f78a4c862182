"""The ``banwatch`` command: thin verbs over the library.

Each verb parses its arguments, calls one library function and prints. Library errors
(``BanwatchError``) become one line on stderr and a non-zero exit code, never a traceback.
Heavy modules (scrapy, trafilatura, sqlalchemy models) are imported inside the verbs that
need them, so ``banwatch --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from monitor.errors import BanwatchError
from monitor.output import (
    Column,
    day,
    echo_plain,
    emit,
    emit_json_line,
    json_wanted,
    listing,
    moment,
    table,
)
from monitor.states import DeliveryStatus, EventStatus

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from monitor.config import Settings
    from monitor.sources import SourceRow


class BanwatchGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BanwatchError as exc:
            # One line and the error's exit code, never a traceback.
            click.echo(f"banwatch: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@dataclass
class App:
    """What every verb gets: settings (loaded on first use) and the database."""

    config: str | None = None
    verbosity: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from monitor import logs
            from monitor.config import load_settings

            self._settings = load_settings(self.config)
            logs.configure(self._settings.logging, verbosity=self.verbosity)
        return self._settings

    @property
    def engine(self) -> Engine:
        """The database, migrated to the latest revision on first use."""
        return self._open(self.settings.database.url)

    def _open(self, url: str) -> Engine:
        if self._engine is None:
            from monitor.db import open_database

            self._engine = open_database(url)
        return self._engine

    def session(self) -> AbstractContextManager[Session]:
        from monitor.db import session_scope

        return session_scope(self.engine)

    def reading(self) -> AbstractContextManager[Session]:
        """A session for a listing verb that needs nothing of the settings but the
        database and the logging: those two sections are read without building the
        settings classes when they are plainly valid (bench/cli.py); otherwise, or once
        the settings are loaded, as ``session``."""
        from monitor.db import session_scope

        if self._settings is None and self._engine is None:
            from monitor import logs
            from monitor.settings_file import read_database_settings

            plain = read_database_settings(self.config)
            if plain is not None:
                logs.configure(plain.logging, verbosity=self.verbosity)
                return session_scope(self._open(plain.url))
        return session_scope(self.engine)


pass_app = click.make_pass_decorator(App)


def parse_since(value: str | None) -> datetime | None:
    """``--since`` as a date (2024-09-01), a timestamp, or a duration back from now (7d):
    ``monitor.config.parse_since``, as the web reads ``?since=``."""
    if not value:
        return None
    from monitor.config import parse_since as since

    try:
        return since(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}") from None


@click.group(cls=BanwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="Settings file (default: $BANWATCH_CONFIG, else ./settings.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="banwatch")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int) -> None:
    """banwatch: one alert per platform ban, from the news.

    Polls feeds and sites, flags stories in which a platform bans, suspends, removes or
    demonetises an outlet, company, person or network, groups reports of the same ban into
    one event, and alerts subscribers.
    """
    ctx.obj = App(config=config, verbosity=verbose)


# --- core verbs ---


@main.command()
@pass_app
def init(app: App) -> None:
    """Create or upgrade the database; register the configured sources and subscriptions.

    \b
    Example:
        banwatch init
    """
    from monitor.sync import sync_config

    with app.session() as session:
        sync_config(session, app.settings)
    click.echo(f"database ready: {_safe_url(app.settings.database.url)}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@pass_app
def db_upgrade(app: App, revision: str) -> None:
    """Run the Alembic migrations up to REVISION.

    \b
    Example:
        banwatch db upgrade
    """
    from monitor.db import create_engine, current_revision, upgrade

    engine = create_engine(app.settings.database.url)
    upgrade(engine, revision)
    click.echo(f"database at revision {current_revision(engine)}")


@main.command()
@click.option(
    "--once", is_flag=True, help="Run every job once (crawl, dispatch, digest if due) and exit."
)
@click.option(
    "--force", is_flag=True, help="With --once: run even while a daemon schedules this database."
)
@click.option(
    "--http",
    "http",
    metavar="HOST:PORT",
    help="Serve /healthz and /metrics here (default: [daemon] http, off when unset).",
)
@pass_app
def run(app: App, once: bool, force: bool, http: str | None) -> None:
    """Run the daemon: scheduled crawls, alert dispatch, the daily digest.

    One daemon schedules per database; a second one says so and stands by until the
    first goes away. `--once` refuses while a daemon runs, unless `--force`.

    \b
    Example:
        banwatch run
        banwatch run --http 127.0.0.1:9464
        banwatch run --once
    """
    from monitor.scheduler import run_daemon, run_once

    if once:
        from monitor.leadership import held_elsewhere

        if not force and held_elsewhere(app.engine):
            from monitor.errors import SchedulerBusy

            raise SchedulerBusy(
                "a daemon is scheduling this database; use run --once --force to run anyway"
            )
        summary = run_once(app.settings, app.engine, config_path=app.config)
        click.echo(summary.describe())
        if summary.failed:
            sys.exit(1)
    else:
        from monitor.scheduler import Daemon

        daemon = Daemon(app.settings, app.engine, app.config)
        address = http or app.settings.daemon.http
        if address:
            from monitor.metrics import serve_health

            serve_health(daemon, address)
        run_daemon(app.settings, app.engine, config_path=app.config, daemon=daemon)


@main.group(invoke_without_command=True)
@click.option("--platform", help="Only this platform, an alias (X) or a family (Meta).")
@click.option("--action", help="Only this action (e.g. ad_ban).")
@click.option("--target", help="Only this target, under any of its names (Russia Today).")
@click.option(
    "--status", type=click.Choice([s.value for s in EventStatus]), help="Only this status."
)
@click.option("--since", help="Seen since a date (2024-09-01) or a duration (7d).")
@click.option("--limit", type=int, default=None, help="At most this many.")
@click.option("--dismissed", is_flag=True, help="Only the events dismissed as not a ban.")
@listing
@click.pass_context
def events(
    ctx: click.Context,
    platform: str | None,
    action: str | None,
    target: str | None,
    status: str | None,
    since: str | None,
    limit: int | None,
    dismissed: bool,
) -> None:
    """List enforcement events: one row per ban, however many outlets reported it;
    `merge`, `split` and `dismiss` correct them.

    Platforms and targets may be named by any alias: --platform X is Twitter, --platform
    Meta also finds Facebook, Instagram, WhatsApp and Threads events, --target "Russia
    Today" finds RT.

    \b
    Example:
        banwatch events --platform Twitter --since 30d
        banwatch events --json
        banwatch events --platform X --target "Russia Today"
        banwatch events --dismissed
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.queries import list_events

    app = ctx.find_object(App)
    assert app is not None  # main() always makes one
    vocab = _checked_words(app, platform, action, target)
    with app.reading() as session:
        rows = list_events(
            session,
            platform=platform,
            action=action,
            target=target,
            status=status,
            since=parse_since(since),
            limit=limit,
            vocabulary=vocab,
            dismissed=dismissed,
        )
    emit(
        rows,
        Column("id", lambda r: r.id),
        Column("first seen", lambda r: day(r.first_seen)),
        Column("platform", lambda r: r.platform),
        Column("action", lambda r: r.action),
        Column("target", lambda r: ", ".join(r.targets)),
        Column("outlets", lambda r: r.outlet_count),
        Column("status", lambda r: r.status),
        Column("headline", lambda r: r.headline),
        title="events",
    )


@events.command("merge")
@click.argument("survivor", metavar="A", type=int)
@click.argument("other", metavar="B", type=int)
@pass_app
def events_merge(app: App, survivor: int, other: int) -> None:
    """Merge event B into event A: one ban reported as two. No alert is sent; B's
    history (its deliveries) is kept under A.

    \b
    Example:
        banwatch events merge 12 15
    """
    from monitor.corrections import merge_events

    with app.session() as session:
        done = merge_events(session, survivor, other)
    click.echo(f"event {other} merged into event {survivor} ({done.articles_moved} articles moved)")


@events.command("split")
@click.argument("event_id", metavar="E", type=int)
@click.option("--article", "article_id", type=int, required=True, help="The article to take out.")
@pass_app
def events_split(app: App, event_id: int, article_id: int) -> None:
    """Take article N out of event E into an event of its own; it never rejoins E.

    \b
    Example:
        banwatch events split 12 --article 341
    """
    from monitor.corrections import split_article

    with app.session() as session:
        done = split_article(session, event_id, article_id)
    click.echo(f"article {article_id} left event {event_id}: now event {done.event_id}")


@events.command("dismiss")
@click.argument("event_id", metavar="E", type=int)
@pass_app
def events_dismiss(app: App, event_id: int) -> None:
    """Dismiss event E as not a ban: no further alerts; kept (for evaluation, a false
    positive) and listed with `events --dismissed`.

    \b
    Example:
        banwatch events dismiss 12
    """
    from monitor.corrections import dismiss_event

    with app.session() as session:
        dismiss_event(session, event_id)
    click.echo(f"event {event_id} dismissed: no further alerts")


@main.command()
@click.option("--since", help="Fetched since a date or a duration (7d).")
@click.option("--platform", help="Only this platform, an alias (X) or a family (Meta).")
@click.option("--action", help="Only this action (e.g. ad_ban).")
@click.option("--target", help="Only this target, under any of its names (Russia Today).")
@click.option("--limit", type=int, default=None, help="At most this many.")
@listing
@pass_app
def hits(
    app: App,
    since: str | None,
    platform: str | None,
    action: str | None,
    target: str | None,
    limit: int | None,
) -> None:
    """List classifier hits: every verdict on every stored article.

    \b
    Example:
        banwatch hits --since 1d
        banwatch hits --platform X --target "Russia Today"
        banwatch hits --json
    """
    from monitor.queries import list_hits

    vocab = _checked_words(app, platform, action, target)
    with app.reading() as session:
        rows = list_hits(
            session,
            since=parse_since(since),
            limit=limit,
            platform=platform,
            action=action,
            target=target,
            vocabulary=vocab,
        )
    emit(
        rows,
        Column("published", lambda r: day(r.published)),
        Column("platform", lambda r: r.platform),
        Column("action", lambda r: r.action),
        Column("target", lambda r: r.target),
        Column("score", lambda r: round(r.score, 3)),
        Column("title", lambda r: r.title),
        title="hits",
    )


@main.command()
@listing
@pass_app
def status(app: App) -> None:
    """Show counts, each source's health (last success, last error, next poll), the outbox
    and the crawl frontier. Exits 1 while something is unhealthy: a source failing for
    longer than [crawler] failing_after, a dead delivery, or a stale scheduler heartbeat.

    \b
    Example:
        banwatch status
        banwatch status --json
        banwatch status > /dev/null || echo unhealthy
    """
    from monitor.health import check
    from monitor.status import status_report

    with app.session() as session:
        report = status_report(session, app.settings)
        verdict = check(session, app.settings)
    report = dataclasses.replace(report, health=verdict.as_json())
    d, f = report.deliveries, report.frontier
    emit(
        report,
        Column("name", lambda s: s.name),
        Column("kind", lambda s: s.kind),
        Column("from", lambda s: ORIGIN_LABELS.get(s.origin, s.origin)),
        Column("last ok", lambda s: moment(s.last_ok) or "never"),
        Column("failures", lambda s: f"{s.failures}{' FAILING' if s.failing else ''}"),
        Column("next poll", lambda s: (moment(s.next_poll) or "due") if s.enabled else "off"),
        Column("last error", lambda s: (s.last_error or "")[:80]),
        title="sources",
        rows=report.sources,
        show=lambda: click.echo(
            f"articles {report.articles}  hits {report.hits}  events {report.events}  "
            f"deliveries: {d.pending} pending, {d.sent} sent, {d.dead} dead  "
            f"pages: {f.get('pending', 0) + f.get('failed', 0)} waiting, "
            f"{f.get('given_up', 0)} given up\n"
            + ("healthy" if verdict.ok else "UNHEALTHY: " + "; ".join(verdict.reasons))
        ),
    )
    if not verdict.ok:
        sys.exit(1)


@main.command()
@click.option("--keep", is_flag=True, help="Keep the temporary folder (database, settings).")
@listing
@pass_app
def demo(app: App, keep: bool) -> None:
    """Run one full cycle against a built-in sample news site on 127.0.0.1.

    Serves a small site (article pages with menus and sidebars, and an RSS feed), crawls
    it into a temporary database, and prints the events found. Needs no internet.

    \b
    Example:
        banwatch demo
    """
    from monitor.demo import run_demo

    result = run_demo(keep=keep, progress=not json_wanted())
    emit(
        result.events,
        Column("platform", lambda e: e.platform),
        Column("action", lambda e: e.action),
        Column("target", lambda e: ", ".join(e.targets)),
        Column("outlets", lambda e: e.outlet_count),
        Column("headline", lambda e: e.headline),
        title=f"events found in the demo site ({result.articles} articles, {result.hits} hits)",
    )
    if keep:
        click.echo(f"kept: {result.folder}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: [web] host).")
@click.option("--port", type=int, default=None, help="Port (default: [web] port, 8080).")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the web app: events (filters, search, chart), event pages, the digest by day,
    subscriptions (double opt-in), triage (BANWATCH_ADMIN_TOKEN), the JSON API with
    /openapi.json, and the Atom feed. Prints its address; 127.0.0.1 unless told otherwise.

    \b
    Example:
        banwatch serve --port 8080
        curl 'http://127.0.0.1:8080/api/events?platform=X&limit=10'
    """
    from monitor.web.app import serve as run_server

    run_server(app.settings, app.engine, host=host, port=port)


def _checked_words(
    app: App, platform: str | None, action: str | None, target: str | None = None
) -> Any:
    """The settings' vocabulary, after refusing an unknown platform or action with the
    nearest names (``--platform Youtub``: did you mean YouTube?); ``None`` when no word is
    given (a listing without filters reads no lexicon: bench/cli.py)."""
    if not (platform or action or target):
        return None
    from monitor.classify.vocabulary import load_vocabulary

    vocab = load_vocabulary(app.settings.classifier)
    if platform:
        vocab.check_platform(platform)
    if action:
        vocab.check_action(action)
    return vocab


def _safe_url(url: str) -> str:
    from monitor.db import masked_url

    return masked_url(url)


# --- crawl verbs ---


@main.command()
@click.argument("kind", type=click.Choice(["feeds", "site", "sitemap", "all"]), default="all")
@click.option(
    "--source",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this source, polled even if not due (repeatable).",
)
@click.option(
    "--worker", is_flag=True, help="Share the Redis queue ([crawler] redis_url) with other workers."
)
@listing
@pass_app
def crawl(app: App, kind: str, names: tuple[str, ...], worker: bool) -> None:
    """Fetch the due feeds, sites and/or sitemaps once and store the new articles.

    Each failing source is logged in one line, stored with its error and backed off; the
    crawl goes on. Shows a progress line on a terminal; prints one summary line. Exits 4
    when every source it tried failed.

    \b
    Example:
        banwatch crawl feeds
        banwatch crawl feeds --source "Meta newsroom"
        BANWATCH_REDIS_URL=redis://127.0.0.1:6379/0 banwatch crawl all --worker
    """
    from monitor.crawl import run_crawl

    stats = run_crawl(
        app.settings, kind, names=list(names) or None, worker=worker, progress=not json_wanted()
    )
    emit(stats.as_dict(), show=lambda: click.echo(stats.describe()))
    if stats.sources_failed and not stats.sources_ok:
        sys.exit(ALL_SOURCES_FAILED)


ALL_SOURCES_FAILED = 4  # banwatch crawl: every source tried failed (the counts still print)


# --- classifier verbs ---


@main.command("classify")
@click.argument("text", required=False)
@click.option("--title", default="", help="Headline of the text (weighs more than the body).")
@click.option(
    "--jsonl",
    type=click.File("r", encoding="utf-8"),
    metavar="FILE",
    help='One JSON object a line with "title" and "text" ("-" for stdin).',
)
@listing
@pass_app
def classify_verb(app: App, text: str | None, title: str, jsonl: Any) -> None:
    """Find the enforcement actions a text reports.

    Reads TEXT, or standard input when TEXT is "-"; with --jsonl, one article a line, and
    prints one result a line in input order (--json).

    \b
    Example:
        banwatch classify "Twitter bans ads from RT and Sputnik"
        banwatch classify --title "TikTok removes RT accounts" - < article.txt
        banwatch classify --jsonl articles.jsonl --json
    """
    if jsonl is None and text is None:
        raise click.UsageError('give the TEXT to classify, "-" to read it from standard input')
    if jsonl is not None and text is not None:
        raise click.UsageError("give TEXT or --jsonl FILE, not both")
    from monitor.classify import classify, load_lexicon
    from monitor.evaluate import classify_records, iter_jsonl

    lexicon = load_lexicon(app.settings.classifier)
    if jsonl is not None:
        results = classify_records(iter_jsonl(jsonl, jsonl.name), lexicon)
        if json_wanted():
            for result in results:
                emit_json_line(result)
            return
        rows = [(r["line"], v) for r in results for v in r["verdicts"]]
        line = Column("line", lambda row: row[0])
        emit(rows, line, *_verdict_columns(lambda row: row[1]), title="verdicts")
        return
    if text == "-":
        text = sys.stdin.read()
    verdicts = [v.as_dict() for v in classify(title, text or "", lexicon)]
    report = {"title": title, "verdicts": verdicts}
    emit(report, *_verdict_columns(), title="verdicts", rows=verdicts)


VERDICT_HEADERS = ("platform", "action", "target", "scale", "score", "evidence")


def _verdict_columns(get: Callable[[Any], Any] | None = None) -> list[Column]:
    """The columns of a verdict table; ``get`` finds the verdict dict in a row."""

    def column(key: str) -> Column:
        if get is None:
            return Column(key, lambda row: row[key])
        return Column(key, lambda row: get(row)[key])

    return [column(key) for key in VERDICT_HEADERS]


@main.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-events", is_flag=True, help="Skip the event-grouping score.")
@listing
@pass_app
def eval_verb(app: App, path: str, no_events: bool) -> None:
    """Score the classifier and the event grouping on a labelled JSON-lines file.

    Each line: title, text, label ("enforcement" | "not_enforcement"), and optionally
    platform, action, target, target_names (names a verdict may give the target by),
    event, published (YYYY-MM-DD, or YYYY-MM / YYYY read as their first day), url.

    Reinstatements: label a ban being lifted either "enforcement" with action
    "reinstatement" and an event key of its own (it is grouped apart from the ban), or
    "not_enforcement" with action "reinstatement" (not a ban): then verdicts that are all
    reinstatements count as a correct "not a ban".

    Prints precision, recall, platform/action/target accuracy, the grouping's pairwise
    scores with events per labelled event and wrong joins, and the misses of each.

    \b
    Example:
        banwatch eval tests/data/devset.jsonl
        banwatch eval tests/data/devset.jsonl --json
    """
    from monitor.classify import load_lexicon
    from monitor.evaluate import evaluate_file

    settings = app.settings
    report = evaluate_file(path, settings, load_lexicon(settings.classifier), events=not no_events)
    emit(report, show=lambda: _show_eval(report.as_json()))


def _show_eval(data: dict[str, Any]) -> None:
    click.echo(
        f"n={data['n']}  precision={data['precision']:.3f}  recall={data['recall']:.3f}  "
        f"F1={data['f1']:.3f}  platform accuracy={data['platform_accuracy']:.3f}  "
        f"action accuracy={data['action_accuracy']:.3f}  "
        f"target accuracy={data['target_accuracy']:.3f}"
    )
    if data["events"]:
        ev = data["events"]
        click.echo(
            f"events (pairwise): precision={ev['precision']:.3f}  recall={ev['recall']:.3f}  "
            f"F1={ev['f1']:.3f}  events per labelled event={ev['events_per_event']:.2f}  "
            f"wrong joins={ev['wrong_joins']}"
        )
    confusion = data["confusion"]
    table(
        "confusion (rows: expected, columns: predicted)",
        [
            Column("", lambda item: item[0]),
            Column("enforcement", lambda item: item[1]["enforcement"]),
            Column("not_enforcement", lambda item: item[1]["not_enforcement"]),
        ],
        confusion.items(),
    )
    table(
        "recall per platform",
        [Column("platform", lambda item: item[0]), Column("recall", lambda item: f"{item[1]:.3f}")],
        data["per_platform_recall"].items(),
    )
    table(
        "misclassified",
        [
            Column("line", lambda m: m["line"]),
            Column("kind", lambda m: m["kind"]),
            Column("title", lambda m: m["title"]),
            Column(
                "expected",
                lambda m: " ".join(
                    str(m["expected"][k] or "") for k in ("platform", "action", "target")
                ),
            ),
            Column(
                "predicted",
                lambda m: "; ".join(
                    f"{v['platform']} {v['action']} {v['target']}" for v in m["predicted"]
                ),
            ),
        ],
        data["misclassified"],
    )
    for name in ("target_misses", "action_misses"):
        table(
            name.replace("_", " "),
            [
                Column("line", lambda m: m["line"]),
                Column("title", lambda m: m["title"]),
                Column(
                    "expected",
                    lambda m: (
                        f"{m['expected']['platform']} {m['expected']['action']} "
                        f"{m['expected']['target']}"
                    ),
                ),
                Column(
                    "predicted",
                    lambda m: "; ".join(
                        f"{v['platform']} {v['action']} {v['target']}" for v in m["predicted"]
                    ),
                ),
            ],
            data[name],
        )


@main.command()
@click.argument("source", metavar="FILE|URL")
@listing
@pass_app
def explain(app: App, source: str) -> None:
    """Show why a page was (not) flagged: what was extracted, every verdict and its
    evidence, or the nearest misses.

    A URL is fetched once with banwatch's User-Agent; a file is read as saved HTML.

    \b
    Example:
        banwatch explain saved-article.html
        banwatch explain https://example.org/news/story --json
    """
    from monitor.classify import load_lexicon
    from monitor.explain import explain_page
    from monitor.net import AddressPolicy

    settings = app.settings
    result = explain_page(
        source,
        settings.crawler,
        load_lexicon(settings.classifier),
        policy=AddressPolicy.from_settings(settings),
    )
    emit(result, show=lambda: _show_explanation(result))


def _show_explanation(result: Any) -> None:
    published = result.published.date().isoformat() if result.published else "unknown"
    echo_plain("title:    ", result.title)
    echo_plain("published:", published)
    echo_plain("language: ", result.language or "unknown")
    click.echo("")
    for line in result.text.splitlines():
        echo_plain(line)
    click.echo("")
    if result.verdicts:
        table("verdicts", _verdict_columns(), [v.as_dict() for v in result.verdicts])
    else:
        click.echo("no verdict")
    if result.near_misses:
        table(
            "nearest misses",
            [Column("sentence", lambda m: m[0]), Column("why not", lambda m: m[1])],
            result.near_misses,
        )


# --- alert verbs ---


@main.command()
@click.argument("name")
@click.option(
    "--channel",
    type=click.Choice(["email", "webhook", "apprise"]),
    required=True,
    help="How alerts are delivered.",
)
@click.option("--address", required=True, help="Mail address, webhook URL or Apprise URL.")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    help="Only this platform, an alias (X) or a family (Meta) (repeatable).",
)
@click.option(
    "--action", "actions", multiple=True, help="Only this action, e.g. ad_ban (repeatable)."
)
@click.option("--target", "targets", multiple=True, help="Only this target or alias (repeatable).")
@click.option(
    "--keyword", "keywords", multiple=True, help="Only events mentioning it (repeatable)."
)
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, help="Minimum score.")
@click.option(
    "--mode",
    type=click.Choice(["instant", "digest", "both"]),
    default="instant",
    show_default=True,
    help="One alert per event, the daily digest, or both.",
)
@click.option("--updates", is_flag=True, help="Also alert when more outlets report an event.")
@click.option("--secret-env", metavar="VAR", help="Variable holding the webhook signing secret.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Also send the events seen since then (7d, 2024-09-01), once; else only new ones.",
)
@pass_app
def subscribe(
    app: App,
    name: str,
    channel: str,
    address: str,
    platforms: tuple[str, ...],
    actions: tuple[str, ...],
    targets: tuple[str, ...],
    keywords: tuple[str, ...],
    min_score: float,
    mode: str,
    updates: bool,
    secret_env: str | None,
    since: str | None,
) -> None:
    """Subscribe NAME to alerts (email, signed webhook or any Apprise URL).

    A webhook without --secret-env gets a generated whsec_ secret, printed once. Only events
    opened or changed from now on are sent, unless --since also queues, once, those seen
    since then (as `banwatch events --since` lists them). Filters name platforms, actions
    and targets by any alias; a name banwatch does not know is refused with the nearest.

    \b
    Example:
        banwatch subscribe analyst --channel email --address me@example.org --platform Twitter
        banwatch subscribe ops --channel webhook --address https://hooks.example.org/bw \\
            --target RT --target Sputnik --secret-env BANWATCH_HOOK_SECRET
        banwatch subscribe chat --channel apprise --address ntfy://ntfy.sh/my-topic --mode both
        banwatch subscribe catchup --channel email --address me@example.org --since 7d
    """
    from monitor.alerts.filters import Filters
    from monitor.alerts.manage import backfill
    from monitor.alerts.subscriptions import create_subscription
    from monitor.classify.vocabulary import load_vocabulary
    from monitor.config import secret_from_env

    secret = secret_from_env(secret_env) if secret_env else None
    filters = Filters(
        platforms=platforms,
        actions=actions,
        targets=targets,
        keywords=keywords,
        min_score=min_score,
        updates=updates,
    ).checked(load_vocabulary(app.settings.classifier))
    since_at = parse_since(since)
    with app.session() as session:
        row = create_subscription(
            session,
            name=name,
            channel=channel,
            address=address,
            filters=filters,
            mode=mode,
            secret=secret,
        )
        generated = row.secret if channel == "webhook" and not secret else None
        queued = len(backfill(session, row, since_at, app.settings)) if since_at else None
    click.echo(f"subscribed {name}: {channel} {mode}, {filters.describe()}")
    if generated:
        click.echo(f"webhook signing secret (shown once): {generated}")
    if queued is not None:
        click.echo(
            f"{queued} earlier event(s) queued (seen since {since}); the daemon sends them "
            "with its next dispatch"
        )
    elif mode != "digest":
        click.echo(
            "only events opened or changed from now on are sent; subscribe with --since 7d "
            "to also get the last 7 days' events"
        )


@main.command()
@click.argument("name")
@pass_app
def unsubscribe(app: App, name: str) -> None:
    """Remove subscription NAME (one declared in settings.toml is switched off instead).

    \b
    Example:
        banwatch unsubscribe analyst
    """
    from monitor.alerts.subscriptions import remove_subscription

    with app.session() as session:
        row = remove_subscription(session, name)
        kept = row.from_config
    click.echo(f"{'switched off' if kept else 'removed'} {name}")


@main.command()
@listing
@click.option("--show-secrets", is_flag=True, help="Print webhook secrets in full.")
@pass_app
def subscriptions(app: App, show_secrets: bool) -> None:
    """List subscriptions with their filters and delivery counts.

    \b
    Example:
        banwatch subscriptions
        banwatch subscriptions --json
    """
    from monitor.alerts.subscriptions import list_subscriptions
    from monitor.queries import iso

    with app.session() as session:
        rows = list_subscriptions(session, show_secrets=show_secrets)
    emit(
        rows,
        Column("name", lambda r: r.name + (" (settings)" if r.from_config else "")),
        Column("channel", lambda r: r.channel),
        Column("address", lambda r: r.address + (f"  secret {r.secret}" if r.secret else "")),
        Column("mode", lambda r: r.mode),
        Column("filters", lambda r: r.filters.describe()),
        Column("active", lambda r: "yes" if r.active else f"no: {r.disabled_reason}"),
        Column(
            "sent/pending/dead",
            lambda r: f"{r.deliveries.sent}/{r.deliveries.pending}/{r.deliveries.dead}",
        ),
        Column("muted", lambda r: f"muted until {iso(r.muted_until)}" if r.muted_until else ""),
        title="subscriptions",
    )


@main.group(invoke_without_command=True)
@click.option(
    "--status", type=click.Choice([s.value for s in DeliveryStatus]), help="Only this status."
)
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many.")
@listing
@click.pass_context
def deliveries(ctx: click.Context, status: str | None, limit: int) -> None:
    """List alert deliveries (the outbox), newest first; `retry ID` re-queues a dead one.

    \b
    Example:
        banwatch deliveries --status dead
        banwatch deliveries --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.queries import list_deliveries
    from monitor.states import DeliveryStatus

    app = ctx.find_object(App)
    assert app is not None  # main() always makes one
    with app.session() as session:
        rows = list_deliveries(session, status=status, limit=limit)
    emit(
        rows,
        Column("id", lambda r: r.id),
        Column("subscription", lambda r: r.subscription),
        Column("kind", lambda r: r.kind),
        Column("about", lambda r: f"event {r.event_id}" if r.event_id else r.digest_date),
        Column("status", lambda r: r.status),
        Column("attempts", lambda r: r.attempts),
        Column(
            "next / sent",
            lambda r: moment(r.next_attempt if r.status == DeliveryStatus.PENDING else r.sent_at),
        ),
        Column("last", lambda r: (r.last_error or r.last_result or "")[:80]),
        title="deliveries",
    )


@deliveries.command("retry")
@click.argument("delivery_id", metavar="ID", type=int)
@pass_app
def deliveries_retry(app: App, delivery_id: int) -> None:
    """Queue delivery ID (a dead one) for the next dispatcher pass, with a fresh schedule.

    \b
    Example:
        banwatch deliveries retry 42
    """
    from monitor.alerts.outbox import retry_delivery

    with app.session() as session:
        row = retry_delivery(session, delivery_id)
        key = row.idempotency_key
    click.echo(f"delivery {delivery_id} queued again ({key})")


@main.command()
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The digest's day (default: today in [digest] timezone).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--platform", "platforms", multiple=True, help="Only this platform (alias, family).")
@click.option("--action", "actions", multiple=True, help="Only this action (repeatable).")
@click.option("--target", "targets", multiple=True, help="Only this target (any of its names).")
@click.option("--send", is_flag=True, help="Send it to the digest subscribers now.")
@pass_app
def digest(
    app: App,
    day: datetime | None,
    fmt: str,
    platforms: tuple[str, ...],
    actions: tuple[str, ...],
    targets: tuple[str, ...],
    send: bool,
) -> None:
    """Show (or --send) the daily digest: the last day's events grouped by platform and
    target, reversals, newly reported events and failing sources.

    --platform, --action and --target narrow what is shown the way a subscription's filters
    do (--platform Meta also shows Facebook and Instagram events); --send always sends each
    subscriber the digest of their own filters.

    \b
    Example:
        banwatch digest
        banwatch digest --date 2024-09-02 --format html > digest.html
        banwatch digest --platform Meta --target "Russia Today"
        banwatch digest --send
    """
    from monitor.alerts.filters import Filters
    from monitor.classify.vocabulary import load_vocabulary
    from monitor.digest import local_today

    when = day.date() if day else local_today(app.settings)
    if send:
        from monitor.alerts.digest_send import send_digest
        from monitor.sync import sync_config

        with app.session() as session:
            sync_config(session, app.settings)
        click.echo(str(send_digest(app.engine, app.settings, when)))
        return
    from monitor.alerts.digest_render import render
    from monitor.digest import build_digest

    vocab = load_vocabulary(app.settings.classifier)
    filters = Filters(platforms=platforms, actions=actions, targets=targets).checked(vocab)
    with app.session() as session:
        built = build_digest(
            session,
            app.settings,
            when,
            filters=filters if filters != Filters() else None,
            vocabulary=vocab,
        )
    click.echo(render(built, fmt), nl=fmt != "html")


@main.group()
def alerts() -> None:
    """Check alert channels."""


@alerts.command("test")
@click.argument("name")
@pass_app
def alerts_test(app: App, name: str) -> None:
    """Send subscription NAME a test alert, marked as such, through its real channel now,
    and show what the receiver answered (nothing is queued or retried).

    \b
    Example:
        banwatch alerts test analyst
    """
    from monitor.alerts.manage import get_subscription, send_test

    with app.session() as session:
        row = get_subscription(session, name)
        result = send_test(session, row, app.settings)
        where = f"{row.channel} {row.address if row.channel != 'apprise' else '(apprise)'}"
    if result.ok:
        echo_plain(f"test alert sent to {name} ({where}): {result.detail}")
        return
    echo_plain(f"test alert to {name} ({where}) failed: {result.detail}")
    raise SystemExit(1)


def _duration(value: str) -> float:
    from monitor.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint="--for") from None


@main.command()
@click.argument("name")
@click.option("--for", "duration", required=True, metavar="DURATION", help="How long (8h, 2d).")
@pass_app
def mute(app: App, name: str, duration: str) -> None:
    """Mute subscription NAME: nothing is sent to it for DURATION. Events opened or changed
    meanwhile are skipped, not sent later; its digest is not sent either.

    \b
    Example:
        banwatch mute analyst --for 8h
    """
    from monitor.alerts.manage import mute as mute_subscription
    from monitor.queries import iso

    until = datetime.now(UTC) + timedelta(seconds=_duration(duration))
    with app.session() as session:
        mute_subscription(session, name, until)
    echo_plain(f"muted {name} until {iso(until)} (`banwatch unmute {name}` ends it)")


@main.command()
@click.argument("name")
@pass_app
def unmute(app: App, name: str) -> None:
    """End the mute of subscription NAME now.

    \b
    Example:
        banwatch unmute analyst
    """
    from monitor.alerts.manage import unmute as unmute_subscription

    with app.session() as session:
        unmute_subscription(session, name)
    echo_plain(f"unmuted {name}")


# --- source verbs ---

ORIGIN_LABELS = {"settings": "settings.toml", "cli": "cli", "opml": "opml import"}


@main.group()
def sources() -> None:
    """Add, list, switch off and remove sources; find a page's feeds; OPML in and out.

    Sources added here live in the database; those declared in settings.toml stay the
    file's (remove them there; `disable` works on both).
    """


def _interval(value: str) -> float:
    from monitor.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}") from None


def _found_columns() -> list[Column]:
    return [
        Column("kind", lambda f: f.format),
        Column("url", lambda f: f.url),
        Column("title", lambda f: f.title or ""),
        Column("entries", lambda f: f.entries),
        Column("found by", lambda f: f.how),
    ]


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Its name (default: the feed's title, else the URL's host and path).")
@click.option("--interval", default="15m", show_default=True, help="How often to poll it.")
@click.option(
    "--kind",
    type=click.Choice(["feed", "site", "sitemap"]),
    help="Take URL as this kind; default: find the page's feed (or news sitemap).",
)
@click.option("--all", "every", is_flag=True, help="Add every feed the page offers.")
@click.option("--article-links", metavar="REGEX", help="--kind site: which links are articles.")
@click.option("--category", help="A folder name (kept in OPML exports).")
@pass_app
def sources_add(
    app: App,
    url: str,
    name: str | None,
    interval: str,
    kind: str | None,
    every: bool,
    article_links: str | None,
    category: str | None,
) -> None:
    """Add the source at URL: a feed, or a web page whose feed is found and added.

    A page is searched for <link rel="alternate"> feeds, then the usual paths (/feed,
    /rss.xml, ...), then the sitemaps its robots.txt names; what was found is shown and
    the best one is added (every feed with --all). --kind site adds the page itself as a
    section page whose links matching --article-links are followed.

    \b
    Example:
        banwatch sources add https://www.example.org/
        banwatch sources add https://www.example.org/news/rss.xml --name "Example news"
        banwatch sources add https://blog.example.org/ --all --interval 1h
        banwatch sources add https://example.org/press --kind site --article-links '/press/\\d+'
    """
    from monitor.sources import add_source

    seconds = _interval(interval)
    if kind == "site" or article_links:
        if kind not in (None, "site") or not article_links:
            raise click.UsageError("--kind site needs --article-links REGEX (and only it does)")
        _check_regex(article_links)
        with app.session() as session:
            src = add_source(session, url=url, name=name, kind="site", interval=seconds,
                             category=category, options={"article_links": article_links})  # fmt: skip
            click.echo(f"added site {src.name!r}: {src.url}")
        return
    from monitor.discover import add_found, discover

    found = discover(url, app.settings)
    if found.found and found.found[0].how != "the URL itself":
        table(f"found on {url}", _found_columns(), found.found)
    with app.session() as session:
        added, not_added = add_found(
            session, found, name=name, interval=seconds, every=every, kind=kind
        )
        for src in added:
            src.category = category or None
        lines = [f"added {src.kind} {src.name!r}: {src.url}" for src in added]
    for line in lines:
        echo_plain(line)
    for item, why in not_added:
        echo_plain(f"not added: {item.url}: {why}")
    if not added:
        raise SystemExit(1)


def _check_regex(value: str) -> None:
    import re

    try:
        re.compile(value)
    except re.error as exc:
        raise click.BadParameter(f"{value!r}: not a regular expression ({exc})") from None


@sources.command("discover")
@click.argument("url")
@listing
@pass_app
def sources_discover(app: App, url: str) -> None:
    """Show the feeds and sitemaps a web page offers, without adding any.

    \b
    Example:
        banwatch sources discover https://www.example.org/
        banwatch sources discover https://www.example.org/ --json
    """
    from monitor.discover import discover

    found = discover(url, app.settings)
    if json_wanted():
        emit(found)
    elif found.found:
        table(f"found on {url}", _found_columns(), found.found)
        if found.best is not None:
            echo_plain(f"best: {found.best.url}  (`banwatch sources add {url}` adds it)")
    else:
        echo_plain(found.describe_none())
        for tried, why in found.tried:
            echo_plain(f"  tried {tried}: {why}")
    if not found.found:
        raise SystemExit(1)


@sources.command("list")
@listing
@pass_app
def sources_list(app: App) -> None:
    """List every source: where it comes from, whether it is polled, its health.

    \b
    Example:
        banwatch sources list
        banwatch sources list --json
    """
    from monitor.sources import list_sources

    with app.session() as session:
        rows = list_sources(session, app.settings)
    emit(
        rows,
        Column("name", lambda s: s.name),
        Column("kind", lambda s: s.kind),
        Column("from", lambda s: ORIGIN_LABELS.get(s.origin, s.origin)),
        Column("polled", lambda s: _polled(s)),
        Column("url", lambda s: s.url),
        Column("last ok", lambda s: moment(s.last_ok) or "never"),
        Column("failures", lambda s: f"{s.failures}{' FAILING' if s.failing else ''}"),
        title="sources",
    )


def _polled(row: SourceRow) -> str:
    if row.disabled:
        return "no: disabled"
    if not row.declared:
        return "no: gone from settings.toml"
    return "yes"


@sources.command("remove")
@click.argument("name")
@pass_app
def sources_remove(app: App, name: str) -> None:
    """Remove source NAME (added with the CLI or OPML; its articles and events stay).

    \b
    Example:
        banwatch sources remove "Example news"
    """
    from monitor.sources import remove_source, sync_sources

    with app.session() as session:
        sync_sources(session, app.settings)  # a settings.toml source may be new
        remove_source(session, name)
    echo_plain(f"removed {name}")


def _set_source_disabled(app: App, name: str, disabled: bool) -> None:
    from monitor.sources import set_disabled, sync_sources

    with app.session() as session:
        sync_sources(session, app.settings)  # a settings.toml source may be new
        set_disabled(session, name, disabled)


@sources.command("disable")
@click.argument("name")
@pass_app
def sources_disable(app: App, name: str) -> None:
    """Stop polling source NAME (from settings.toml or the database) until enabled.

    \b
    Example:
        banwatch sources disable "Example news"
    """
    _set_source_disabled(app, name, True)
    echo_plain(f"disabled {name}: not polled until `banwatch sources enable {name}`")


@sources.command("enable")
@click.argument("name")
@pass_app
def sources_enable(app: App, name: str) -> None:
    """Poll source NAME again (at the next crawl).

    \b
    Example:
        banwatch sources enable "Example news"
    """
    _set_source_disabled(app, name, False)
    echo_plain(f"enabled {name}")


@sources.command("import")
@click.argument("path", metavar="FILE.opml", type=click.Path(exists=True, dir_okay=False))
@click.option("--interval", default="15m", show_default=True, help="Poll interval of each.")
@listing
@pass_app
def sources_import(app: App, path: str, interval: str) -> None:
    """Add the feeds of an OPML file (as Miniflux, FreshRSS and other readers export it).

    Folders at any depth become categories; a URL already known is skipped and reported;
    an entry without a usable URL is named and skipped.

    \b
    Example:
        banwatch sources import feeds.opml
        banwatch sources import feeds.opml --interval 1h --json
    """
    from pathlib import Path

    from monitor.opml import import_opml

    seconds = _interval(interval)
    with app.session() as session:
        report = import_opml(session, Path(path).read_bytes(), interval=seconds)

    def show() -> None:
        echo_plain(f"{path}: {report.describe()}")
        for title, url, known in report.skipped:
            echo_plain(f"  skipped {title or url}: {url} is already source {known!r}")
        for where, why in report.bad:
            echo_plain(f"  bad entry {where}: {why}")

    emit(report, show=show)


@sources.command("export")
@pass_app
def sources_export(app: App) -> None:
    """Print every source as OPML 2.0 (for Miniflux, FreshRSS or another banwatch).

    \b
    Example:
        banwatch sources export > banwatch.opml
    """
    from monitor.opml import export_opml

    with app.session() as session:
        text = export_opml(session, app.settings)
    click.echo(text, nl=False)


if __name__ == "__main__":
    main()
