"""The web app's endpoints: each reads its inputs through ``params``/``forms``, calls the
library in a worker thread, and renders a template or answers JSON.

Nothing here builds HTML or XML by hand; the templates escape.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from monitor.classify.types import ACTIONS
from monitor.classify.vocabulary import Vocabulary
from monitor.config import Settings
from monitor.db import session_scope
from monitor.queries import (
    EventPage,
    WeekCounts,
    event_detail,
    iso,
    list_hits,
    search_events,
    weekly_counts,
)
from monitor.status import status_report
from monitor.templating import find_spans, render
from monitor.web import forms, params, security
from monitor.web.params import BadRequest

log = logging.getLogger(__name__)
T = TypeVar("T")

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096")


@dataclass(frozen=True, slots=True)
class Context:
    """What every endpoint works with."""

    settings: Settings
    engine: Engine
    vocabulary: Vocabulary
    limiter: security.RateLimit

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction, off the event loop."""

        def run() -> T:
            with session_scope(self.engine) as session:
                return work(session)

        return await run_in_threadpool(run)


# --- rendering helpers ----------------------------------------------------------------


def page(
    ctx: Context, request: Request, template: str, code: int = 200, **context: Any
) -> HTMLResponse:
    """A page from ``template``, with the CSRF token its forms need (cookie set if new)."""
    from monitor.web.app import public_base

    token, new = security.csrf_token(request)
    context.setdefault("nav", "")
    context.setdefault("feed_query", "")
    body = render(
        template,
        csrf=token,
        zone=ctx.settings.digest.zone,
        base=public_base(ctx.settings, request),
        admin=security.is_admin(request, ctx.settings.web.admin_token),
        **context,
    )
    response = HTMLResponse(body, code)
    if new:
        security.set_csrf(
            response, token, secure=security.secure_cookies(request, ctx.settings.web.base_url)
        )
    return response


def chart(counts: WeekCounts, width: int = 1000, height: int = 170) -> dict[str, Any]:
    """Bar geometry for the events-per-platform-per-week SVG (stacked by platform)."""
    if not counts.weeks:
        return {"bars": [], "legend": [], "labels": [], "width": width, "height": height}
    left, bottom, top = 28, 22, 8
    plot_h = height - bottom - top
    step = (width - left) / len(counts.weeks)
    peak = max(counts.peak, 1)
    colors = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(counts.platforms)}
    bars = []
    for i, week in enumerate(counts.weeks):
        y = float(top + plot_h)
        for platform in counts.platforms:
            n = counts.counts[platform][i]
            if not n:
                continue
            h = plot_h * n / peak  # a float: bars are drawn to a tenth of a pixel
            y -= h
            bars.append(
                {
                    "x": round(left + i * step + 2, 1),
                    "y": round(y, 1),
                    "w": round(step - 4, 1),
                    "h": round(h, 1),
                    "fill": colors[platform],
                    "title": f"{platform}: {n} in the week of {week.isoformat()}",
                }
            )
    labels = [
        {"x": round(left + i * step + step / 2, 1), "text": week.strftime("%d %b")}
        for i, week in enumerate(counts.weeks)
        if i % 2 == len(counts.weeks) % 2 or len(counts.weeks) <= 6
    ]
    legend = [
        {"name": p, "fill": colors[p], "total": sum(counts.counts[p])} for p in counts.platforms
    ]
    return {
        "bars": bars,
        "labels": labels,
        "legend": legend,
        "width": width,
        "height": height,
        "peak": peak,
        "axis_y": top + plot_h,
        "left": left,
        "top": top,
    }


# --- events ---------------------------------------------------------------------------


async def events_page(ctx: Context, request: Request) -> Response:
    p = params.event_params(request.query_params, default_limit=50)

    def work(session: Session) -> tuple[EventPage, WeekCounts, list[str]]:
        found = search_events(session, p.query, vocabulary=ctx.vocabulary)
        weeks = weekly_counts(
            session, replace(p.query, limit=0, offset=0), vocabulary=ctx.vocabulary
        )
        return found, weeks, known_platforms(session)

    found, weeks, platforms = await ctx.db(work)
    pages = max(1, -(-found.total // p.query.limit))
    return page(
        ctx,
        request,
        "events.html",
        nav="events",
        events=found.events,
        total=found.total,
        filters=p.given,
        params=p,
        page_no=p.page,
        pages=pages,
        chart=chart(weeks),
        platforms=platforms,
        actions=ACTIONS,
        feed_query=p.link(limit=None, page=None),
    )


def known_platforms(session: Session) -> list[str]:
    import sqlalchemy as sa

    from monitor.models import Event

    return list(session.scalars(sa.select(Event.platform).distinct().order_by(Event.platform)))


async def event_page(ctx: Context, request: Request) -> Response:
    event_id = params.event_id(request.path_params["event_id"])
    detail = await ctx.db(lambda s: event_detail(s, event_id))
    if detail is None:
        raise BadRequest(f"There is no event {event_id}.", 404)
    evidence = detail.evidence
    spans = evidence.spans or tuple(
        find_spans(evidence.sentence, [evidence.platform, *detail.event.targets])
    )
    return page(
        ctx,
        request,
        "event.html",
        nav="events",
        detail=detail,
        event=detail.event,
        spans=spans,
    )


# --- digest ---------------------------------------------------------------------------


def _digest(ctx: Context, day: date) -> Callable[[Session], Any]:
    def work(session: Session) -> Any:
        from monitor.digest import build_digest

        return build_digest(session, ctx.settings, day)

    return work


async def digest_today(ctx: Context, request: Request) -> Response:
    from monitor.digest import local_today

    return RedirectResponse(f"/digest/{local_today(ctx.settings).isoformat()}", 302)


async def digest_page(ctx: Context, request: Request) -> Response:
    from monitor.digest import digest_window, local_today
    from monitor.queries import events_found_between

    day = params.day(request.path_params["day"])
    digest = await ctx.db(_digest(ctx, day))
    # Two weeks ending at this day, or later up to the digest being gathered now.
    gathering = local_today(ctx.settings) + timedelta(days=1)
    last = max(day, min(day + timedelta(days=7), gathering))
    days = [last - timedelta(days=i) for i in range(13, -1, -1)]
    windows = [digest_window(ctx.settings, d) for d in days]
    counts = await ctx.db(lambda s: events_found_between(s, [(w.start, w.end) for w in windows]))
    return page(
        ctx,
        request,
        "digest_day.html",
        nav="digest",
        digest=digest,
        day=day,
        recent=list(zip(days, counts, strict=True)),
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1)
        if day < datetime.now(UTC).date() + timedelta(days=1)
        else None,
    )


# --- subscriptions --------------------------------------------------------------------


async def subscribe_form(ctx: Context, request: Request) -> Response:
    return page(
        ctx,
        request,
        "subscribe.html",
        nav="subscribe",
        values={},
        errors={},
        actions=ACTIONS,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _checked_form(ctx: Context, request: Request) -> Any:
    form = await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    if not security.csrf_ok(request, str(form.get("csrf") or "")):
        raise BadRequest(
            "This form has expired or did not come from this site: reload the page and try again.",
            403,
        )
    return form


async def subscribe_post(ctx: Context, request: Request) -> Response:
    form = await _checked_form(ctx, request)
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "csrf"}
    values["action_list"] = [str(v) for v in form.getlist("action")]
    # Every attempt counts, refused ones too: the form resolves host names and sends mail.
    client = _client(request)
    if not ctx.limiter.allow(client):
        minutes = max(1, ctx.limiter.retry_after(client) // 60)
        response = page(
            ctx,
            request,
            "message.html",
            429,
            nav="subscribe",
            title="Too many subscriptions",
            message=f"Too many subscriptions from your address; try again in {minutes} minute(s).",
        )
        response.headers["Retry-After"] = str(ctx.limiter.retry_after(client))
        return response

    parsed, errors = await run_in_threadpool(forms.parse_subscribe, ctx.settings, form)
    if errors:
        return page(
            ctx,
            request,
            "subscribe.html",
            422,
            nav="subscribe",
            values=values,
            errors=errors,
            actions=ACTIONS,
        )
    from monitor.alerts.subscriptions import (
        create_pending_subscription,
        create_subscription,
        mark_from_web,
    )

    def work(session: Session) -> tuple[int, str | None, str]:
        name = _free_name(session, f"web {parsed.channel} {parsed.address}"[:180])
        if parsed.channel == "email":
            row = create_pending_subscription(
                session,
                name=name,
                address=parsed.address,
                filters=parsed.filters,
                mode=parsed.mode,
            )
            return row.id, None, name
        row = create_subscription(
            session,
            name=name,
            channel="webhook",
            address=parsed.address,
            filters=parsed.filters,
            mode=parsed.mode,
        )
        mark_from_web(row)
        session.flush()
        return row.id, row.secret, name

    sub_id, secret, name = await ctx.db(work)
    if parsed.channel == "email":
        sent = await run_in_threadpool(send_confirmation, ctx, request, sub_id)
        return page(
            ctx,
            request,
            "subscribed.html",
            nav="subscribe",
            channel="email",
            address=parsed.address,
            sent=sent,
            filters=parsed.filters,
        )
    return page(
        ctx,
        request,
        "subscribed.html",
        nav="subscribe",
        channel="webhook",
        address=parsed.address,
        secret=secret,
        name=name,
        filters=parsed.filters,
    )


def _free_name(session: Session, wanted: str) -> str:
    import sqlalchemy as sa

    from monitor.models import Subscription

    name = wanted
    while session.scalar(sa.select(Subscription.id).where(Subscription.name == name)):
        name = f"{wanted} {secrets.token_hex(3)}"
    return name


def send_confirmation(ctx: Context, request: Request, sub_id: int) -> bool:
    """Mail the confirmation link (the only mail a subscription gets before it is
    confirmed). False when the mail could not be handed over."""
    from monitor.alerts.channel import Message
    from monitor.alerts.email import EmailChannel
    from monitor.alerts.subscriptions import link_token
    from monitor.models import Subscription
    from monitor.web.app import public_base

    base = public_base(ctx.settings)
    with session_scope(ctx.engine) as session:
        row = session.get(Subscription, sub_id)
        if row is None:
            return False
        address = row.address
        confirm = f"{base}/confirm/{link_token(row, 'confirm')}"
        mail = {
            "address": address,
            "confirm": confirm,
            "filters": row.filters,
            "mode": row.mode,
        }
    message = Message(
        id=f"msg_confirm_{sub_id}_{secrets.token_hex(6)}",
        kind="confirmation",
        subject="[banwatch] Confirm your subscription",
        text=render("mail/confirm.txt", **mail),
        html=render("mail/confirm.html", **mail),
        payload={},
    )
    result = EmailChannel.from_settings(address, ctx.settings).send(message)
    if not result.ok:
        log.warning("web: confirmation mail to subscription %s failed: %s", sub_id, result.detail)
    return result.ok


async def confirm_page(ctx: Context, request: Request) -> Response:
    from monitor.alerts.subscriptions import AWAITING, subscription_for_link

    token = request.path_params["token"]

    def work(session: Session) -> tuple[str, str, str] | None:
        from monitor.alerts.filters import Filters

        row = subscription_for_link(session, token, "confirm")
        if row is None:
            return None
        state = (
            "pending" if row.disabled_reason == AWAITING else ("active" if row.active else "off")
        )
        return row.address, state, Filters.from_json(row.filters).describe()

    found = await ctx.db(work)
    if found is None:
        raise BadRequest("This confirmation link is not valid (or no longer).", 404)
    address, state, filters = found
    return page(
        ctx, request, "confirm.html", address=address, state=state, filters=filters, token=token
    )


async def confirm_post(ctx: Context, request: Request) -> Response:
    from monitor.alerts.subscriptions import confirm_subscription

    await _checked_form(ctx, request)
    token = request.path_params["token"]

    def work(session: Session) -> str | None:
        row = confirm_subscription(session, token)
        return row.address if row is not None else None

    address = await ctx.db(work)
    if address is None:
        raise BadRequest("This confirmation link is not valid (or has expired).", 404)
    return page(
        ctx,
        request,
        "message.html",
        title="Subscription confirmed",
        message=f"Alerts will now go to {address}. Every alert carries a link to unsubscribe.",
    )


async def unsubscribe_page(ctx: Context, request: Request) -> Response:
    """Asks; never unsubscribes (mail scanners and HEAD requests follow links)."""
    from monitor.alerts.subscriptions import subscription_for_link

    token = request.path_params["token"]

    def work(session: Session) -> tuple[str, bool] | None:
        row = subscription_for_link(session, token, "unsubscribe")
        return (row.address, row.active) if row is not None else None

    found = await ctx.db(work)
    if found is None:
        raise BadRequest("This unsubscribe link is not valid.", 404)
    return page(ctx, request, "unsubscribe.html", address=found[0], active=found[1], token=token)


async def unsubscribe_post(ctx: Context, request: Request) -> Response:
    """RFC 8058 one-click (``List-Unsubscribe=One-Click`` from a mail client, authorised by
    the link's own secret) or the page's button (with its CSRF token)."""
    from monitor.alerts.subscriptions import unsubscribe_by_token

    form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click and not security.csrf_ok(request, str(form.get("csrf") or "")):
        raise BadRequest(
            "This form has expired or did not come from this site: reload the page and try again.",
            403,
        )
    token = request.path_params["token"]

    def work(session: Session) -> str | None:
        row = unsubscribe_by_token(session, token)
        return row.address if row is not None else None

    address = await ctx.db(work)
    if address is None:
        raise BadRequest("This unsubscribe link is not valid.", 404)
    return page(
        ctx,
        request,
        "message.html",
        title="Unsubscribed",
        message=f"{address} will get no more alerts from this subscription.",
    )


# --- admin ----------------------------------------------------------------------------


def _require_admin(ctx: Context, request: Request) -> None:
    if not ctx.settings.web.admin_token:
        raise BadRequest("Triage is switched off: set BANWATCH_ADMIN_TOKEN to use it.", 404)
    if not security.is_admin(request, ctx.settings.web.admin_token):
        raise BadRequest("Sign in with the admin token first.", 403)


async def admin_page(ctx: Context, request: Request) -> Response:
    if not ctx.settings.web.admin_token:
        raise BadRequest("Triage is switched off: set BANWATCH_ADMIN_TOKEN to use it.", 404)
    if not security.is_admin(request, ctx.settings.web.admin_token):
        return page(ctx, request, "admin_login.html", nav="admin", failed=False)
    p = params.event_params(request.query_params, default_limit=50)
    dismissed = request.query_params.get("dismissed") == "1"

    def work(session: Session) -> dict[str, Any]:
        from monitor.queries import list_deliveries

        query = replace(p.query, dismissed=dismissed)
        return {
            "found": search_events(session, query, vocabulary=ctx.vocabulary),
            "status": status_report(session, ctx.settings),
            "deliveries": [d for d in list_deliveries(session, limit=200) if d.status != "sent"][
                :50
            ],
        }

    data = await ctx.db(work)
    return page(
        ctx,
        request,
        "admin.html",
        nav="admin",
        events=data["found"].events,
        total=data["found"].total,
        health=data["status"],
        deliveries=data["deliveries"],
        filters=p.given,
        dismissed=dismissed,
        notice=request.query_params.get("done", "")[:200],
    )


async def admin_login(ctx: Context, request: Request) -> Response:
    form = await _checked_form(ctx, request)
    if not ctx.settings.web.admin_token:
        raise BadRequest("Triage is switched off: set BANWATCH_ADMIN_TOKEN to use it.", 404)
    if not security.token_matches(str(form.get("token") or ""), ctx.settings.web.admin_token):
        return page(ctx, request, "admin_login.html", 403, nav="admin", failed=True)
    response = RedirectResponse("/admin", 303)
    response.set_cookie(
        security.ADMIN_COOKIE,
        security.admin_cookie_value(ctx.settings.web.admin_token),
        httponly=True,
        samesite="strict",
        secure=security.secure_cookies(request, ctx.settings.web.base_url),
        path="/",
        max_age=12 * 3600,
    )
    return response


async def admin_logout(ctx: Context, request: Request) -> Response:
    await _checked_form(ctx, request)
    response = RedirectResponse("/", 303)
    response.delete_cookie(security.ADMIN_COOKIE, path="/")
    return response


async def admin_action(ctx: Context, request: Request) -> Response:
    """dismiss / merge / split / retry: the library functions the CLI calls."""
    _require_admin(ctx, request)
    form = await _checked_form(ctx, request)
    action = request.path_params["action"]
    from monitor.web import triage

    handler = triage.ACTIONS.get(action)
    if handler is None:
        raise BadRequest(f"Unknown admin action {action!r}.", 404)
    done = await ctx.db(lambda s: handler(s, ctx.settings, form))
    from urllib.parse import urlencode

    return RedirectResponse("/admin?" + urlencode({"done": done}), 303)


# --- feed and API ---------------------------------------------------------------------


async def atom(ctx: Context, request: Request) -> Response:
    from monitor.web.app import public_base

    p = params.event_params(request.query_params, default_limit=100)
    found = await ctx.db(lambda s: search_events(s, p.query, vocabulary=ctx.vocabulary))
    base = public_base(ctx.settings, request)
    query = p.link(limit=None, page=None)
    updated = max((e.last_seen for e in found.events if e.last_seen), default=None)
    body = render(
        "feed.atom.xml",
        events=found.events,
        base=base,
        query=query,
        updated=iso(updated)
        or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def api_events(ctx: Context, request: Request) -> Response:
    p = params.event_params(request.query_params, default_limit=100)
    found = await ctx.db(lambda s: search_events(s, p.query, vocabulary=ctx.vocabulary))
    headers = {"X-Total-Count": str(found.total)}
    if p.query.offset + p.query.limit < found.total:
        headers["Link"] = f'</api/events?{p.link(page=p.page + 1, offset=None)}>; rel="next"'
    return JSONResponse([e.as_json() for e in found.events], headers=headers)


async def api_event(ctx: Context, request: Request) -> Response:
    event_id = params.event_id(request.path_params["event_id"])
    detail = await ctx.db(lambda s: event_detail(s, event_id))
    if detail is None:
        raise BadRequest(f"There is no event {event_id}.", 404)
    return JSONResponse(detail.as_json())


async def api_digest(ctx: Context, request: Request) -> Response:
    day = params.day(request.path_params["day"])
    digest = await ctx.db(_digest(ctx, day))
    return JSONResponse(digest_json(digest))


def digest_json(digest: Any) -> dict[str, Any]:
    from monitor.alerts.digest_render import digest_json as as_json

    return as_json(digest)


async def api_hits(ctx: Context, request: Request) -> Response:
    limit = params.integer(
        request.query_params.get("limit"), "limit", low=1, high=params.MAX_LIMIT, default=500
    )
    hits = await ctx.db(lambda s: list_hits(s, limit=limit))
    return JSONResponse([hit.as_json() for hit in hits])


async def api_status(ctx: Context, request: Request) -> Response:
    report = await ctx.db(lambda s: status_report(s, ctx.settings))
    return JSONResponse(report.as_json())


async def openapi(ctx: Context, request: Request) -> Response:
    from monitor.web.openapi import schema

    return JSONResponse(schema())


async def healthz(ctx: Context, request: Request) -> Response:
    return JSONResponse({"status": "ok"})
