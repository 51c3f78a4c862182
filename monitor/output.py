"""How the CLI's listing verbs print: one ``--json`` option, one ``emit``.

    @main.command()
    @listing
    @pass_app
    def hits(app: App) -> None:
        rows = list_hits(...)
        emit(rows, Column("title", lambda r: r.title), title="hits")

``listing`` adds ``--json`` to a verb; ``emit`` prints the rows as JSON under ``--json``
(each row's ``as_json()`` when it has one) and as a table otherwise. Table cells are plain
text: rich's markup is never parsed (a headline containing ``[/bold]`` prints as written),
and control characters, escape sequences and bidi overrides never reach the terminal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.text import Text

F = TypeVar("F", bound=Callable[..., Any])

_JSON_KEY = "banwatch.json"

# C0/C1 controls (tab and newline become spaces), DEL, and the invisible direction marks,
# embeddings, overrides and isolates that can reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[\t\n\r\x0b\x0c\u2028\u2029]+")


def listing(func: F) -> F:
    """Give a verb the ``--json`` option; ``emit`` reads it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[_JSON_KEY] = value
        return value

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Machine-readable output.",
    )(func)


def json_wanted() -> bool:
    """Whether the running verb was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(_JSON_KEY))


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its header and how a row gives its cell."""

    header: str
    value: Callable[[Any], object]


def emit(
    data: Any,
    *columns: Column,
    title: str = "",
    rows: Iterable[Any] | None = None,
    show: Callable[[], None] | None = None,
) -> None:
    """Print ``data``: as JSON under ``--json``; else ``show()`` (a summary), then a table
    of ``columns`` over ``rows`` (default: ``data`` itself)."""
    if json_wanted():
        emit_json(data)
        return
    if show is not None:
        show()
    if columns:
        table(title, columns, data if rows is None else rows)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(to_json(data), indent=2, ensure_ascii=False, default=str))


def emit_json_line(data: Any) -> None:
    click.echo(json.dumps(to_json(data), ensure_ascii=False, default=str))


def to_json(data: Any) -> Any:
    """Rows and reports as JSON values: anything with ``as_json()`` becomes what it returns."""
    if hasattr(data, "as_json"):
        return data.as_json()
    if isinstance(data, list | tuple):
        return [to_json(item) for item in data]
    return data


def day(value: datetime | None) -> str:
    """A UTC date for a table cell: ``2024-09-01``."""
    return value.astimezone(UTC).date().isoformat() if value else ""


def moment(value: datetime | None) -> str:
    """A UTC time for a table cell, to the second: ``2024-09-01T08:00:00``."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") if value else ""


def plain(value: object) -> str:
    """A cell as terminal-safe text: no control characters, no bidi overrides, one line."""
    if value is None:
        return ""
    text = _SPACE.sub(" ", str(value))
    text = _CONTROL.sub("", text)
    # Other format characters (Cf) that are not joiners used by real scripts are dropped too.
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d" or ch == "\u00ad"
    )


def cell(value: object) -> Text:
    from rich.text import Text

    return Text(plain(value))


def table(title: str, columns: Sequence[Column], rows: Iterable[Any]) -> None:
    """A table of plain-text cells; ``(none)`` under it when there are no rows."""
    from rich.console import Console
    from rich.table import Table

    out = Table(title=cell(title) if title else None, title_justify="left", show_lines=False)
    for column in columns:
        out.add_column(cell(column.header), overflow="fold")
    count = 0
    for row in rows:
        out.add_row(*(cell(column.value(row)) for column in columns))
        count += 1
    Console().print(out)
    if not count:
        click.echo("(none)")


def echo_plain(*parts: object) -> None:
    """One line of outside text (a title, a page's text), cleaned like a table cell."""
    click.echo(" ".join(plain(p) for p in parts))
