"""Anti-bot challenge pages (瑞数 and friends): recognised so they are never parsed as reports.

Real 瑞数-protected portals answer the first request with HTTP 412 (sometimes 202 or
even 200) and a page that is only an inline ``$_ts`` script plus an external JS file that
sets a cookie. Retrying does not help (the cookie needs a JavaScript engine), so the
client records these as ``blocked`` at once. The text test itself belongs to the parser
(``parsers.sniff.is_challenge``); this module adds the HTTP-status view and falls back to
a local check while that function is not available.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["looks_like_challenge"]

_TS = re.compile(rb"\$_ts\s*=|\$_ts\.", re.I)
_SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script>", re.I | re.S)
_TAGS = re.compile(rb"<[^>]+>")
_SMALL = 8 * 1024


def _visible_text_len(body: bytes) -> int:
    text = _TAGS.sub(b" ", _SCRIPT.sub(b" ", body))
    return len(re.sub(rb"\s+", b"", text))


def looks_like_challenge(status: int, body: bytes) -> bool:
    """True for a challenge page: a ``$_ts`` script, or a tiny JS-only body on 412/202."""
    head = body[:65536]
    is_challenge: Callable[[str], bool] | None
    try:
        from parsers.sniff import is_challenge  # the parser owns the text test
    except ImportError:
        is_challenge = None
    if is_challenge is not None:
        try:
            if is_challenge(head.decode("utf-8", "replace")):
                return True
        except Exception:  # a helper's bug must not turn a page into a crash
            pass
    if _TS.search(head):
        return True
    if status in (202, 412) and len(body) < _SMALL:
        return bool(_SCRIPT.search(head)) and _visible_text_len(head) < 40
    return False
