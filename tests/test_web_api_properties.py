"""Property test against the API's own description: requests built from /openapi.json, with
values inside and outside each parameter's schema, never get a 5xx, and every error is a
JSON object with a message for people."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.db import open_database
from tests.web_fixtures import WebServer, ingest, seed_documents, serve, web_settings


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("api")
    url = f"sqlite:///{tmp / 'banwatch.db'}"
    settings = web_settings(url, Path(tmp))
    engine = open_database(url)
    ingest(engine, settings, *seed_documents())
    engine.dispose()
    yield from serve(settings)


ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1e23",
            "nan",
            "inf",
            "-inf",
            "9" * 30,
            "1.5",
            "0x10",
            "%",
            "_",
            "' OR 1=1 --",
            "\x00",
            "\ud7ff",
            "2024-02-30",
            "9999-12-31",
            "7d",
            "36h",
            "0d",
            "2024-09-24T12:00:00+14:00",
            "X",
            "Meta",
            "ad_ban",
            "reversed",
            "\u202e",
        ]
    ),
)


def value_for(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Values of a parameter: inside its schema and around and outside it."""
    inside: st.SearchStrategy[Any]
    kind = schema.get("type")
    if "enum" in schema:
        inside = st.sampled_from(schema["enum"])
    elif kind == "integer":
        low, high = schema.get("minimum", -(10**6)), schema.get("maximum", 10**6)
        inside = st.integers(low - 2, high + 2) | st.integers(-(10**25), 10**25)
    elif schema.get("format") == "date":
        inside = st.dates().map(lambda d: d.isoformat())
    else:
        inside = st.text(alphabet=string.printable, max_size=30)
    return st.one_of(inside.map(str), ODD_TEXT)


def operations(schema: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (path, item["get"].get("parameters", []))
        for path, item in schema["paths"].items()
        if "get" in item
    ]


@st.composite
def requests_for(draw: st.DrawFn, schema: dict[str, Any]) -> str:
    path, parameters = draw(st.sampled_from(operations(schema)))
    query = []
    for p in parameters:
        if p["in"] == "path":
            path = path.replace(
                "{" + p["name"] + "}", quote(draw(value_for(p["schema"])) or "x", safe="")
            )
        elif draw(st.booleans()):
            query.append(f"{p['name']}={quote(draw(value_for(p['schema'])), safe='')}")
    return path + ("?" + "&".join(query) if query else "")


def test_the_schema_describes_every_api_route(web: WebServer) -> None:
    schema = requests.get(web.url + "/openapi.json", timeout=10).json()
    assert {p for p, _ in operations(schema)} == {
        "/api/events",
        "/api/events/{event_id}",
        "/api/digest/{date}",
        "/api/status",
    }


@pytest.mark.slow
def test_no_request_built_from_the_schema_gets_a_5xx(web: WebServer) -> None:
    schema = requests.get(web.url + "/openapi.json", timeout=10).json()
    seen: set[int] = set()

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(requests_for(schema))
    def check(target: str) -> None:
        response = requests.get(web.url + target, timeout=10)
        seen.add(response.status_code)
        assert response.status_code < 500, (target, response.text[:300])
        assert response.headers["content-type"].startswith("application/json"), target
        body = response.json()
        if response.status_code >= 400:
            assert response.status_code in (400, 404, 422), target
            assert isinstance(body.get("message"), str) and body["message"], target
            assert "Traceback" not in body["message"] and "Error:" not in body["message"]

    check()
    assert 200 in seen and 400 in seen  # both sides of the schema were exercised
