"""Secrets out of what banwatch prints and stores: the password of a URL's userinfo.

    mask_url("https://user:pw@host/feed")              # 'https://user:***@host/feed'
    mask_passwords("GET https://u:pw@host/ failed")    # 'GET https://u:***@host/ failed'

Every error line that may quote a URL (``last_error``, ``status``, log records) passes here.
Kept apart from ``monitor.net`` (the address policy, with its resolver and urllib opener) so
the logging set-up every verb runs imports only this (bench/cli.py).
"""

from __future__ import annotations

import re


def mask_url(url: str) -> str:
    """``url`` with the password of its userinfo replaced: ``https://user:***@host/``.

    Used wherever a URL is printed or stored as an error (last_error, logs, status)."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return url
    start = scheme_end + 3
    end = len(url)
    for stop in "/?#":
        pos = url.find(stop, start)
        if pos >= 0:
            end = min(end, pos)
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    userinfo = url[start:at]
    if ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{url[:start]}{user}:***{url[at:]}"


# user:password@ with or without a scheme before it (Twisted quotes a URL's netloc as a
# bare "invalid hostname: user:password@host").
_USERINFO_PASSWORD = re.compile(
    r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/?#@:\"'<>]*"  # scheme://user
    r"|(?<![^\s\"'(<=,;])[^\s/?#@:\"'<>]+)"  # or a bare user at a word's start
    r":[^\s/?#@\"'<>]*@"  # :password@
)


def mask_passwords(text: str) -> str:
    """Every URL inside ``text`` with its password masked (``user:***@``): for error lines
    and log records that may quote a URL."""
    if "@" not in text:
        return text
    return _USERINFO_PASSWORD.sub(r"\1:***@", text)
