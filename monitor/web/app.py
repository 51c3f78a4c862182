"""Read-only web pages, a JSON API, an Atom feed of events, and unsubscribe links.

    banwatch serve            # http://127.0.0.1:8080 by default ([web] host, port)

Routes:
    GET  /                     recent events (HTML)
    GET  /events/{id}          one event: evidence, outlets, articles (HTML)
    GET  /feed.atom            Atom feed of events, newest first
    GET  /api/events           same objects as `banwatch events --json`
                               (?platform=&action=&target=&status=&since=&limit=)
    GET  /api/events/{id}      one event
    GET  /api/hits             same objects as `banwatch hits --json`
    GET  /api/status           same object as `banwatch status --json`
    GET  /unsubscribe/{token}  confirmation page; POST performs it (RFC 8058 one-click)

Every value that came from an article is HTML-escaped (or XML-escaped in the feed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from xml.sax.saxutils import escape as xml_escape

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from monitor.config import Settings, parse_duration
from monitor.db import session_scope
from monitor.models import Article, Event, EventArticle
from monitor.queries import EventRow, event_urls, iso, list_events, list_hits, status_report
from monitor.states import EventStatus

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="alternate" type="application/atom+xml" title="banwatch events" href="/feed.atom">
<style>
body{{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{padding:.35rem .5rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}}.reversed{{color:#777}}blockquote{{border-left:3px solid #c33;
margin:0;padding:.2rem .8rem;background:#fafafa}}small{{color:#666}}
</style></head><body><h1><a href="/">banwatch</a></h1>{body}</body></html>"""


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def create_app(settings: Settings, engine: Engine) -> Starlette:
    """The ASGI application, bound to one settings object and one engine."""

    def events_page(request: Request) -> HTMLResponse:
        with session_scope(engine) as session:
            rows = list_events(session, limit=200)
        body = [
            "<table><tr><th>first seen</th><th>platform</th><th>action</th><th>target</th>"
            "<th>outlets</th><th>headline</th></tr>"
        ]
        for e in rows:
            body.append(
                f'<tr class="{escape(e.status)}"><td>{escape(iso(e.first_seen) or "")[:10]}</td>'
                f"<td>{escape(e.platform)}</td><td>{escape(e.action)}</td>"
                f"<td>{escape(e.target)}</td><td>{e.outlet_count}</td>"
                f'<td><a href="/events/{e.id}">{escape(e.headline)}</a></td></tr>'
            )
        body.append("</table>" if rows else "</table><p>No enforcement events yet.</p>")
        return HTMLResponse(PAGE.format(title="banwatch events", body="".join(body)))

    def event_page(request: Request) -> Response:
        event_id = request.path_params["event_id"]
        with session_scope(engine) as session:
            event = session.get(Event, event_id)
            if event is None:
                return HTMLResponse(
                    PAGE.format(title="not found", body="<p>No such event.</p>"), 404
                )
            articles = session.scalars(
                sa.select(Article)
                .join(EventArticle, EventArticle.article_id == Article.id)
                .where(EventArticle.event_id == event_id)
                .order_by(Article.published_at.nulls_last())
            ).all()
            items = "".join(
                f'<li><a href="{escape(a.url)}">{escape(a.title or a.url)}</a> '
                f"<small>{escape(a.outlet or '')} {escape(iso(a.published_at) or '')}</small></li>"
                for a in articles
            )
            body = (
                f"<h2>{escape(event.platform)} — {escape(event.action.replace('_', ' '))} — "
                f"{escape(event.target)}</h2>"
                f"<p>Status: <b>{escape(event.status)}</b>. First seen {escape(iso(event.first_seen_at) or '')}, "
                f"reported by {event.outlet_count} outlet(s).</p>"
                + (f"<p>Scale: {escape(event.scale)}</p>" if event.scale else "")
                + f"<blockquote>{escape(event.evidence)}</blockquote><h3>Articles</h3><ul>{items}</ul>"
            )
            title = f"{event.platform} {event.action} {event.target}"
        return HTMLResponse(PAGE.format(title=escape(title), body=body))

    def api_events(request: Request) -> JSONResponse:
        q = request.query_params
        try:
            since = _since(q.get("since"))
            limit = int(q["limit"]) if q.get("limit") else None
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        with session_scope(engine) as session:
            rows = list_events(
                session,
                platform=q.get("platform"),
                action=q.get("action"),
                target=q.get("target"),
                status=q.get("status"),
                since=since,
                limit=limit,
            )
        return JSONResponse([row.as_json() for row in rows])

    def api_event(request: Request) -> JSONResponse:
        event_id = request.path_params["event_id"]
        with session_scope(engine) as session:
            event = session.get(Event, event_id)
            if event is None:
                return JSONResponse({"error": "no such event"}, 404)
            data = EventRow.of(event, event_urls(session, [event_id]).get(event_id, [])).as_json()
            data["evidence"] = event.evidence
        return JSONResponse(data)

    def api_hits(request: Request) -> JSONResponse:
        with session_scope(engine) as session:
            return JSONResponse([hit.as_json() for hit in list_hits(session, limit=500)])

    def api_status(request: Request) -> JSONResponse:
        with session_scope(engine) as session:
            return JSONResponse(status_report(session, settings).as_json())

    def atom(request: Request) -> Response:
        base = (settings.web.base_url or str(request.base_url)).rstrip("/")
        with session_scope(engine) as session:
            rows = list_events(session, limit=100)
            updated = iso(
                max((e.last_seen for e in rows if e.last_seen), default=datetime.now(UTC))
            )
        entries = "".join(_atom_entry(base, e) for e in rows)
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>banwatch: platform enforcement events</title><id>{xml_escape(base)}/feed.atom</id>"
            f'<link rel="self" href="{xml_escape(base)}/feed.atom"/><link href="{xml_escape(base)}/"/>'
            f"<updated>{updated}</updated><author><name>banwatch</name></author>{entries}</feed>"
        )
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    async def unsubscribe(request: Request) -> HTMLResponse:
        from monitor.alerts.subscriptions import unsubscribe_by_token

        token = request.path_params["token"]
        if request.method == "GET":
            body = (
                "<p>Stop these alerts?</p>"
                f'<form method="post" action="/unsubscribe/{escape(token)}">'
                '<button type="submit">Unsubscribe</button></form>'
            )
            return HTMLResponse(PAGE.format(title="unsubscribe", body=body))
        with session_scope(engine) as session:
            row = unsubscribe_by_token(session, token)
            name = row.name if row else None
        if name is None:
            return HTMLResponse(PAGE.format(title="unsubscribe", body="<p>Unknown link.</p>"), 404)
        return HTMLResponse(
            PAGE.format(
                title="unsubscribed", body=f"<p>{escape(name)} will get no more alerts.</p>"
            )
        )

    return Starlette(
        routes=[
            Route("/", events_page),
            Route("/events/{event_id:int}", event_page),
            Route("/feed.atom", atom),
            Route("/api/events", api_events),
            Route("/api/events/{event_id:int}", api_event),
            Route("/api/hits", api_hits),
            Route("/api/status", api_status),
            Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
        ]
    )


def _atom_entry(base: str, e: EventRow) -> str:
    title = f"{e.platform} — {e.action.replace('_', ' ')} — {e.target}"
    if e.status == EventStatus.REVERSED:
        title += " (reversed)"
    summary = f"{e.headline} (reported by {e.outlet_count} outlet(s))"
    return (
        f"<entry><id>{xml_escape(base)}/events/{e.id}</id><title>{xml_escape(title)}</title>"
        f'<link href="{xml_escape(base)}/events/{e.id}"/>'
        f"<published>{iso(e.first_seen)}</published><updated>{iso(e.last_seen)}</updated>"
        f"<summary>{xml_escape(summary)}</summary></entry>"
    )


def serve(
    settings: Settings, engine: Engine, *, host: str | None = None, port: int | None = None
) -> None:
    """Run the web app under uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(
        create_app(settings, engine),
        host=host or settings.web.host,
        port=port if port is not None else settings.web.port,
        log_level="warning",
    )
