"""Structured, quiet-by-default logging.

One line per record, ``key=value`` pairs after the message (or one JSON object per line
with ``[logging] json = true``), on stderr. Default level WARNING: a healthy daemon is
silent; every source error is one line saying what and where. A password in any URL a
record quotes is masked (``user:***@``) by both formatters.

    log = logging.getLogger("banwatch.crawl")
    log.warning("feed failed", extra={"source": name, "url": url, "error": msg})
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Protocol

from monitor.masking import mask_passwords


class LogSettings(Protocol):
    """``[logging]``: ``monitor.config.LoggingSettings``, or the listing verbs' plain reading
    of it (``monitor.settings_file.LogSettings``)."""

    @property
    def level(self) -> str: ...
    @property
    def json_(self) -> bool: ...


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [stamp, record.levelname.lower(), record.name, mask_passwords(record.getMessage())]
        for key, value in _fields(record).items():
            text = mask_passwords(str(value))
            parts.append(f"{key}={json.dumps(text) if (' ' in text or not text) else text}")
        line = " ".join(parts)
        if record.exc_info:
            line += " exc=" + json.dumps(self.formatException(record.exc_info).splitlines()[-1])
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_passwords(record.getMessage()),
        }
        payload.update({k: mask_passwords(str(v)) for k, v in _fields(record).items()})
        return json.dumps(payload, ensure_ascii=False)


def configure(settings: LogSettings, *, verbosity: int = 0) -> None:
    """Install the one handler banwatch logs through; ``-v`` lowers the level."""
    level = logging.getLevelName(settings.level)
    if verbosity:
        level = logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.json_ else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("banwatch").setLevel(level)
    for noisy in ("scrapy", "twisted", "trafilatura", "htmldate", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
