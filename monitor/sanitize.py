"""Text from outside, cleaned once where it enters.

Feed entries (``crawler.feedreader``) and extracted pages (``monitor.extract``) pass their
titles and texts through ``clean_text`` before anything else sees them. What it removes can
only do harm downstream and carries no meaning in a news story:

* terminal escape sequences (CSI ``ESC [ ... m``, OSC ``ESC ] ... BEL``, lone ``ESC x``,
  the C1 ``CSI``), whole, so no ``[31m`` is left behind;
* C0 and C1 control characters except tab and newline (a carriage return becomes a
  newline), which recolour or rewrite a terminal and make XML ill-formed;
* Unicode noncharacters (U+FDD0..U+FDEF and the last two code points of every plane, such
  as U+FFFE) and lone surrogates, which XML and UTF-8 forbid;
* bidirectional overrides, embeddings and isolates (U+202A..U+202E, U+2066..U+2069), which
  make a line display in an order other than the one it is stored in.

Every character left is allowed in XML 1.0, so the Atom feed built from stored titles is
well-formed whatever the feeds sent. The CLI still prints cells as plain text and the
templates still escape: cleaning removes what escaping cannot.

    clean_text("Ban\\x1b[31m lifted\\u202e!")   -> 'Ban lifted!'
"""

from __future__ import annotations

import re
from typing import Final

_ESCAPES: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: ESC [ params intermediates final
    r"|\x9b[0-?]*[ -/]*[@-~]"  # C1 CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC ... BEL / ST
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # C1 OSC
    r"|\x1b[P^_X][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[ -/]*[0-~]"  # any other two-character escape
)
# The last two code points of each of the 17 planes: U+FFFE, U+FFFF, U+1FFFE, ...
_NONCHARACTERS: Final = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_UNWANTED: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, newline, CR; DEL; C1
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides, isolates
    "\ufdd0-\ufdef"  # noncharacters
    "\ud800-\udfff" + _NONCHARACTERS + "]"  # lone surrogates
)


def clean_text(text: str) -> str:
    """``text`` without escape sequences, controls (but tab and newline), noncharacters,
    surrogates and bidi overrides; carriage returns become newlines. Never raises."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    return _UNWANTED.sub("", text)


def clean_optional(text: str | None) -> str | None:
    """``clean_text`` for a value that may be absent; an empty result is None."""
    if text is None:
        return None
    return clean_text(text) or None
