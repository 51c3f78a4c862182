"""Feeds are parsed in a separate process, under a hard time limit: no feed stalls a crawl.

feedparser runs on the Python side of the GIL; one pathological document (1.4 MB of nested
elements took 12-15 s) parsed on the reactor thread froze every download of the crawl, and
healthy feeds were recorded as timed out. So the spider hands the bytes to
``FeedParserPool.parse``, which

* waits in a thread of its own (never the reactor's, never Twisted's pool that resolves
  names), for a child process forked from a small preloaded server
  (``multiprocessing``'s forkserver: the child carries no copy of the crawl's memory);
* kills the child when ``timeout`` passes and raises ``ParseError("parsing took longer
  than Ns")``, recorded on the feed like any other failure;
* passes on ``read_feed``'s own limits (bytes, nesting depth) as its ``ParseError``.

The memory a big feed costs is the child's, returned to the system when it exits.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from monitor.ingest import BanwatchError, ParseError

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.feedreader import ParsedFeed

_CONTEXT_LOCK = threading.Lock()
_CONTEXT: Any = None


def _context() -> Any:
    """The forkserver context, its server preloading the feed reader (made once)."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["crawler.feedreader", "feedparser", "lxml.etree"])
            _CONTEXT = ctx
        return _CONTEXT


def _child(
    conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    try:
        result: Any = fn(*args, **kwargs)
    except BanwatchError as exc:
        result = ParseError(str(exc))
    except BaseException as exc:  # anything else is the parser's bug, named in one line
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        result = ParseError(f"parser failed: {type(exc).__name__}{': ' + text if text else ''}")
    try:
        conn.send(result)
    finally:
        conn.close()


def run_limited(
    fn: Callable[..., Any], *args: Any, timeout: float, label: str, **kwargs: Any
) -> Any:
    """``fn(*args, **kwargs)`` in a child process, killed after ``timeout`` seconds.

    ``fn`` must be importable (module level). Blocks the calling thread; raises
    ``ParseError`` naming ``label`` when the child runs out of time or dies."""
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            proc.kill()
            raise ParseError(f"{label}: parsing took longer than {timeout:g}s (stopped)")
        try:
            result = recv.recv()
        except (EOFError, OSError):
            proc.join(5)
            raise ParseError(f"{label}: the parser died (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        proc.join(5)
        if proc.is_alive():  # pragma: no cover - killed above, or finished
            proc.kill()
            proc.join()
    if isinstance(result, BaseException):
        raise result
    return result


class FeedParserPool:
    """At most ``workers`` feeds parsed at once, each in a child with a time limit."""

    def __init__(self, *, timeout: float, max_depth: int, max_bytes: int, workers: int = 2):
        self.timeout = timeout
        self.max_depth = max_depth
        self.max_bytes = max_bytes
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feedparse")

    def submit(self, body: bytes, url: str, content_type: str) -> Future[ParsedFeed]:
        return self._threads.submit(self._parse, body, url, content_type)

    def _parse(self, body: bytes, url: str, content_type: str) -> ParsedFeed:
        wire = run_limited(
            read_feed_wire,
            body,
            url,
            content_type,
            timeout=self.timeout,
            label=url,
            max_depth=self.max_depth,
            max_bytes=self.max_bytes,
        )
        return from_wire(wire)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


# A parsed feed crosses the process boundary as plain tuples: pickling 100,000 dataclasses
# with datetimes took seconds, tuples of strings and floats a fraction of that.
Wire = tuple[str, bool, int, list[tuple[str, "str | None", "str | None", "float | None"]]]


def read_feed_wire(body: bytes, url: str, content_type: str, **limits: int) -> Wire:
    """``read_feed`` in the child, its result as plain tuples."""
    from crawler.feedreader import read_feed

    feed = read_feed(body, url, content_type, **limits)
    rows = [
        (e.link, e.guid, e.title, e.published.timestamp() if e.published else None)
        for e in feed.entries
    ]
    # Newest first (undated last, in the feed's order), sorted here rather than in the crawl.
    rows.sort(key=lambda row: row[3] if row[3] is not None else float("-inf"), reverse=True)
    return feed.version, feed.bozo, feed.skipped, rows


def from_wire(wire: Wire) -> ParsedFeed:
    from datetime import UTC, datetime

    from crawler.feedreader import FeedEntry, ParsedFeed

    version, bozo, skipped, rows = wire
    entries = []
    rows.reverse()
    while rows:  # each row freed as its entry is made: never both lists in full
        link, guid, title, ts = rows.pop()
        when = datetime.fromtimestamp(ts, UTC) if ts is not None else None
        entries.append(FeedEntry(link, guid, title, when))
    return ParsedFeed(version, entries, bozo, skipped)
