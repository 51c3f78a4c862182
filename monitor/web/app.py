"""The web app: event pages, the digest by day, subscriptions, triage, a JSON API, Atom.

    banwatch serve            # http://127.0.0.1:8080 by default ([web] host, port)

Pages (HTML, from the Jinja2 templates in ``templates/``):
    GET  /                         events: filters, search, pages, a chart per platform and week
    GET  /events/{id}              one event: every report, evidence marked, history
    GET  /digest, /digest/{date}   the daily digest of a day, previous / next day
    GET  /subscribe                the form; POST makes an email (double opt-in) or webhook one
    GET  /confirm/{token}          asks to confirm; POST switches the subscription on
    GET  /unsubscribe/{token}      asks to unsubscribe; POST does it (RFC 8058 one-click)
    GET  /admin                    triage (admin token): dismiss, merge, split; sources; outbox
Machine-readable:
    GET  /feed.atom                Atom feed of events, same filters as the events page
    GET  /api/events, /api/events/{id}, /api/digest/{date}, /api/status, /api/hits
    GET  /openapi.json             the API's description; /healthz

State changes only on POST, behind a CSRF token (the one-click unsubscribe is a POST with
the link's own 192-bit secret); GET and HEAD never change anything. Every API error is a
JSON object ``{"message": ..., "status": ...}`` with 400, 404 or 422; pages answer the same
message in HTML. Absolute links (the feed, mails) come from ``[web] base_url`` when it is
set, never from the request's Host header.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.config import Settings
from monitor.templating import render
from monitor.web import security
from monitor.web.params import BadRequest

log = logging.getLogger(__name__)
JSON_PATHS = ("/api/", "/openapi.json", "/healthz")


def public_base(settings: Settings, request: Request | None = None) -> str:
    """The address links point at: ``[web] base_url``; without it, the request's own
    address for pages and the feed, the listening address for mails (never a Host header
    a stranger chose)."""
    from monitor.alerts.render import web_address

    if settings.web.base_url:
        return settings.web.base_url.rstrip("/")
    if request is not None:
        return str(request.base_url).rstrip("/")
    return web_address(settings) or f"http://127.0.0.1:{settings.web.port}"


def create_app(settings: Settings, engine: Engine) -> Starlette:
    """The ASGI application, bound to one settings object and one engine."""
    from monitor.classify.vocabulary import load_vocabulary
    from monitor.web import views

    vocabulary = load_vocabulary(settings.classifier)  # X is Twitter, Meta covers Facebook
    limiter = security.RateLimit(settings.web.subscribe_limit, settings.web.subscribe_window)
    ctx = views.Context(settings, engine, vocabulary, limiter)

    def page(
        view: Callable[[views.Context, Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await view(ctx, request)

        return endpoint

    from importlib.resources import files

    static = StaticFiles(directory=str(files("monitor.web").joinpath("static")))
    routes = [
        Route("/", page(views.events_page), methods=["GET"]),
        Route("/events/{event_id}", page(views.event_page), methods=["GET"]),
        Route("/digest", page(views.digest_today), methods=["GET"]),
        Route("/digest/{day}", page(views.digest_page), methods=["GET"]),
        Route("/subscribe", page(views.subscribe_form), methods=["GET"]),
        Route("/subscribe", page(views.subscribe_post), methods=["POST"]),
        Route("/confirm/{token}", page(views.confirm_page), methods=["GET"]),
        Route("/confirm/{token}", page(views.confirm_post), methods=["POST"]),
        Route("/unsubscribe/{token}", page(views.unsubscribe_page), methods=["GET"]),
        Route("/unsubscribe/{token}", page(views.unsubscribe_post), methods=["POST"]),
        Route("/admin", page(views.admin_page), methods=["GET"]),
        Route("/admin/login", page(views.admin_login), methods=["POST"]),
        Route("/admin/logout", page(views.admin_logout), methods=["POST"]),
        Route("/admin/{action}", page(views.admin_action), methods=["POST"]),
        Route("/feed.atom", page(views.atom), methods=["GET"]),
        Route("/api/events", page(views.api_events), methods=["GET"]),
        Route("/api/events/{event_id}", page(views.api_event), methods=["GET"]),
        Route("/api/digest/{day}", page(views.api_digest), methods=["GET"]),
        Route("/api/hits", page(views.api_hits), methods=["GET"]),
        Route("/api/status", page(views.api_status), methods=["GET"]),
        Route("/openapi.json", page(views.openapi), methods=["GET"]),
        Route("/healthz", page(views.healthz), methods=["GET"]),
        Mount("/static", static, name="static"),
    ]

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return error_response(request, exc.status, exc.message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {
            404: "There is nothing at this address.",
            405: "This address does not accept that method.",
        }.get(exc.status_code, str(exc.detail))
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("web: %s %s failed", request.method, request.url.path)
        return error_response(
            request, 500, "Something went wrong on our side; the error was logged."
        )

    return Starlette(
        routes=routes,
        middleware=[Middleware(security.SecurityHeaders)],
        exception_handlers={
            BadRequest: bad_request,
            HTTPException: http_error,
            Exception: server_error,
        },
    )


def error_response(request: Request, status: int, message: str) -> Response:
    """JSON for the API, a page for people."""
    if request.url.path.startswith(JSON_PATHS):
        return JSONResponse({"message": message, "status": status}, status)
    body = render("error.html", status=status, message=message, nav="", feed_query="")
    return HTMLResponse(body, status)


def serve(
    settings: Settings, engine: Engine, *, host: str | None = None, port: int | None = None
) -> None:
    """Run the web app under uvicorn until interrupted, printing its address first."""
    import socket

    import uvicorn

    host = host or settings.web.host
    port = port if port is not None else settings.web.port
    # Bind first, so the printed URL is the one that answers (port 0 picks a free one).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"banwatch: serving on http://{shown}:{bound}/ (Ctrl-C stops)", flush=True)
    config = uvicorn.Config(create_app(settings, engine), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
