"""The OpenAPI 3.1 description of ``/api/...``, served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from monitor.classify.types import ACTIONS
from monitor.web.params import MAX_ID, MAX_LIMIT, MAX_PAGE, MAX_TEXT

_ERROR = {"$ref": "#/components/responses/Error"}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


EVENT_FILTERS = [
    _query(
        "platform",
        "Platform or one of its aliases or families (X is Twitter, Meta covers Facebook...)",
        {"type": "string", "maxLength": MAX_TEXT},
    ),
    _query("action", "Action", {"type": "string", "enum": list(ACTIONS)}),
    _query(
        "target",
        "Target or one of its aliases (Russia Today is RT)",
        {"type": "string", "maxLength": MAX_TEXT},
    ),
    _query("status", "Event status", {"type": "string", "enum": ["active", "reversed"]}),
    _query(
        "q",
        "Words searched in the headline and the evidence",
        {"type": "string", "maxLength": MAX_TEXT},
    ),
    _query(
        "since",
        "First seen within this duration (7d, 36h) or since this date",
        {"type": "string", "examples": ["7d", "2024-09-01"]},
    ),
    _query("from", "First seen on or after this date", {"type": "string", "format": "date"}),
    _query("to", "First seen on or before this date", {"type": "string", "format": "date"}),
    _query(
        "limit",
        "Events per page",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    ),
    _query(
        "page", "Page number", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}
    ),
]

EVENT_SCHEMA = {
    "type": "object",
    "required": [
        "id",
        "platform",
        "action",
        "target",
        "status",
        "article_count",
        "outlet_count",
        "first_seen",
        "last_seen",
        "headline",
        "urls",
    ],
    "properties": {
        "id": {"type": "integer"},
        "platform": {"type": "string"},
        "action": {"type": "string", "enum": list(ACTIONS)},
        "target": {"type": "string"},
        "targets": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["active", "reversed"]},
        "article_count": {"type": "integer"},
        "outlet_count": {"type": "integer"},
        "first_seen": {"type": "string", "format": "date-time"},
        "last_seen": {"type": "string", "format": "date-time"},
        "headline": {"type": "string"},
        "scale": {"type": ["string", "null"]},
        "urls": {"type": "array", "items": {"type": "string"}},
        "outlets": {"type": "array", "items": {"type": "string"}},
    },
}


def ok_json(ref: str) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}


def schema() -> dict[str, Any]:
    """The document ``/openapi.json`` answers."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "banwatch",
            "version": "1",
            "description": "Platform enforcement events found in the news: one event per ban.",
        },
        "paths": {
            "/api/events": {
                "get": {
                    "summary": "Events, newest first, filtered and paged",
                    "operationId": "listEvents",
                    "parameters": EVENT_FILTERS,
                    "responses": {
                        "200": {
                            "description": "One page of events (the objects of `banwatch events --json`)",
                            "headers": {
                                "X-Total-Count": {
                                    "description": "Events matching the filters",
                                    "schema": {"type": "integer"},
                                },
                                "Link": {
                                    "description": 'The next page, rel="next"',
                                    "schema": {"type": "string"},
                                },
                            },
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Event"},
                                    }
                                }
                            },
                        },
                        "400": _ERROR,
                    },
                }
            },
            "/api/events/{event_id}": {
                "get": {
                    "summary": "One event with its reports, evidence and history",
                    "operationId": "getEvent",
                    "parameters": [
                        {
                            "name": "event_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        }
                    ],
                    "responses": {
                        "200": ok_json("#/components/schemas/EventDetail"),
                        "400": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
            "/api/digest/{date}": {
                "get": {
                    "summary": "The daily digest of one day",
                    "operationId": "getDigest",
                    "parameters": [
                        {
                            "name": "date",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "format": "date"},
                        }
                    ],
                    "responses": {"200": ok_json("#/components/schemas/Digest"), "400": _ERROR},
                }
            },
            "/api/status": {
                "get": {
                    "summary": "Counts, sources' health and the outbox (as `banwatch status --json`)",
                    "operationId": "getStatus",
                    "responses": {"200": ok_json("#/components/schemas/Status")},
                }
            },
        },
        "components": {
            "schemas": {
                "Event": EVENT_SCHEMA,
                "EventDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Event"},
                        {
                            "type": "object",
                            "properties": {
                                "evidence": {"type": "string"},
                                "articles": {"type": "array", "items": {"type": "object"}},
                                "history": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    ]
                },
                "Digest": {
                    "type": "object",
                    "required": ["date"],
                    "properties": {"date": {"type": "string", "format": "date"}},
                },
                "Status": {
                    "type": "object",
                    "required": ["articles", "events", "sources", "deliveries"],
                    "properties": {
                        "articles": {"type": "integer"},
                        "events": {"type": "integer"},
                        "sources": {"type": "array", "items": {"type": "object"}},
                        "deliveries": {"type": "object"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["message", "status"],
                    "properties": {"message": {"type": "string"}, "status": {"type": "integer"}},
                },
            },
            "responses": {
                "Error": {
                    "description": "The request cannot be answered; `message` says why",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
