"""OPML in and out: ``banwatch sources import FILE.opml`` and ``banwatch sources export``.

Export writes OPML 2.0 that feed readers (Miniflux, FreshRSS, NetNewsWire...) import: one
``<outline type="rss" text=... xmlUrl=...>`` per feed, inside one outline per category
(folder). Sitemaps and sites, which readers cannot poll, are written as ``type="link"``
outlines with a ``url`` (readers skip outlines without ``xmlUrl``) and banwatch's own
attributes in the ``https://banwatch.dev/opml`` namespace (``bw:kind``, ``bw:interval``,
``bw:articleLinks``), so that an export imported into another banwatch gives back the same
sources.

Import reads outlines at any depth: an outline with ``xmlUrl`` is a feed, one with
``bw:kind`` and ``url`` a sitemap or site, one with children a folder (the folder names,
joined with " / ", become the source's category). A URL already known (in the database
or earlier in the file) is skipped and reported; an outline that names no usable URL is
reported by its position and title; everything else is added with origin "opml". One
transaction: the file is added whole or (on a database error) not at all.

    report = import_opml(session, Path("feeds.opml").read_bytes(), interval=900)
    print(report.describe())
    text = export_opml(session, settings)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from monitor.errors import ConfigError, SourceError
from monitor.models import Source
from monitor.sources import KINDS, SourceIndex, add_source, url_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.config import Settings

BW = "https://banwatch.dev/opml"
_BW = f"{{{BW}}}"


@dataclass(slots=True)
class ImportReport:
    """What ``import_opml`` did: names added, duplicates skipped, bad entries."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (title, url, known as)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    def describe(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.skipped)} duplicates skipped, "
            f"{len(self.bad)} bad entries"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "skipped": [{"title": t, "url": u, "known_as": k} for t, u, k in self.skipped],
            "bad": [{"entry": w, "why": why} for w, why in self.bad],
        }


def parse_opml(data: bytes | str) -> ET.Element:
    """The ``<body>`` of an OPML document; ``SourceError`` (one line) if it is not one."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if re.search(rb"<!ENTITY", raw[:65536], re.I):
        raise SourceError("OPML: entity declarations are not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise SourceError(f"OPML: not well-formed XML ({exc})") from None
    if root.tag != "opml":
        raise SourceError(f"OPML: the root element is <{root.tag}>, expected <opml>")
    body = root.find("body")
    if body is None:
        raise SourceError("OPML: no <body>")
    return body


@dataclass(frozen=True, slots=True)
class Entry:
    """One source an OPML file names."""

    title: str
    url: str
    kind: str
    category: str | None
    interval: float | None
    options: dict[str, Any] | None
    disabled: bool = False


def read_entries(body: ET.Element) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Every source outline under ``body`` (depth first, in file order), and the bad ones
    as (where, why): "outline 7 'Old blog'", "no xmlUrl"."""
    entries: list[Entry] = []
    bad: list[tuple[str, str]] = []
    counter = [0]

    def walk(node: ET.Element, folders: list[str]) -> None:
        for outline in node.findall("outline"):
            counter[0] += 1
            title = (outline.get("title") or outline.get("text") or "").strip()
            where = f"outline {counter[0]}" + (f" {title!r}" if title else "")
            xml_url = (outline.get("xmlUrl") or "").strip()
            bw_kind = (outline.get(_BW + "kind") or "").strip()
            link_url = (outline.get("url") or "").strip()
            children = outline.findall("outline")
            if not xml_url and not bw_kind:
                if children:
                    walk(outline, [*folders, title] if title else folders)
                elif outline.get("type", "").lower() in ("rss", "atom") or link_url:
                    bad.append((where, "no xmlUrl"))
                else:
                    bad.append((where, "neither a feed (xmlUrl) nor a folder"))
                continue
            url = xml_url or link_url
            kind = bw_kind or "feed"
            if kind not in KINDS:
                bad.append((where, f"bw:kind {kind!r}: expected one of {', '.join(KINDS)}"))
                continue
            if not re.match(r"(?i)^https?://[^\s/]+", url):
                bad.append((where, f"{url!r} is not an http(s) URL" if url else "no URL"))
                continue
            interval = _float(outline.get(_BW + "interval"))
            links = outline.get(_BW + "articleLinks")
            if kind == "site" and not links:
                bad.append((where, "a site without bw:articleLinks"))
                continue
            entries.append(
                Entry(
                    title=title,
                    url=url,
                    kind=kind,
                    category=" / ".join(folders) or None,
                    interval=interval,
                    options={"article_links": links} if links else None,
                    disabled=outline.get(_BW + "disabled") == "true",
                )
            )
            if children:  # a feed outline holding more outlines: read those too
                walk(outline, folders)

    walk(body, [])
    return entries, bad


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number and number > 0 else None


def import_opml(session: Session, data: bytes | str, *, interval: float = 900.0) -> ImportReport:
    """Add every source of an OPML document (see the module docstring), in the caller's
    transaction. ``interval``: the polling interval of entries that do not carry one."""
    entries, bad = read_entries(parse_opml(data))
    report = ImportReport(bad=bad)
    index = SourceIndex.load(session)  # names and URLs checked in memory, one flush at the end
    for entry in entries:
        known = index.by_url.get(url_key(entry.url))
        if known is not None:
            report.skipped.append((entry.title, entry.url, known))
            continue
        try:
            src = add_source(
                session,
                url=entry.url,
                name=index.unique(entry.title) if entry.title else None,
                kind=entry.kind,
                interval=entry.interval or interval,
                origin="opml",
                category=entry.category,
                options=entry.options,
                index=index,
            )
        except ConfigError as exc:
            report.bad.append((repr(entry.title or entry.url), str(exc)))
            continue
        src.disabled = entry.disabled
        report.added.append(src.name)
    session.flush()
    return report


def export_opml(session: Session, settings: Settings, *, now: datetime | None = None) -> str:
    """Every source as an OPML 2.0 document (settings.toml's and the database's alike),
    folders by category, sorted by category and name."""
    ET.register_namespace("bw", BW)
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "banwatch sources"
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    sites = {s.name: s for s in settings.sites}
    rows = session.scalars(
        sa.select(Source)
        .where(sa.or_(Source.enabled.is_(True), Source.origin != "settings"))
        .order_by(Source.category.nulls_first(), Source.name)
    )
    for src in rows:
        parent = body
        if src.category:
            parent = folders.get(src.category) or ET.SubElement(
                body, "outline", {"text": src.category, "title": src.category}
            )
            folders[src.category] = parent
        attrs = {"text": src.name, "title": src.name}
        if src.kind == "feed":
            attrs.update(type="rss", xmlUrl=src.url)
        else:
            attrs.update(type="link", url=src.url)
            attrs[_BW + "kind"] = src.kind
            links = (src.options or {}).get("article_links")
            if src.kind == "site" and not links and src.name in sites:
                links = sites[src.name].article_links
            if links:
                attrs[_BW + "articleLinks"] = links
        attrs[_BW + "interval"] = f"{src.interval:g}"
        if src.disabled:
            attrs[_BW + "disabled"] = "true"
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
