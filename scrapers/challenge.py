"""Anti-bot challenge pages (瑞数 and friends): recognised so they are never parsed as reports.

Real 瑞数-protected portals answer the first request with HTTP 412 (sometimes 202 or
even 200) and a page that is only an inline ``$_ts`` script plus an external JS file that
sets a cookie. Retrying does not help (the cookie needs a JavaScript engine), so the
client records these as ``blocked`` at once.

The text test belongs to the parser (``parsers.sniff.challenge_reason``). Here the HTTP
status decides how much of it to trust: on 412/202 any wall counts; on 200 only the
unmistakable ones (``$_ts``, a JavaScript cookie check, a verification page), because a
JS-only *list* shell (gkmlpt, Hanweb) is a normal 200 page that the adapter reads itself.
"""

from __future__ import annotations

import re

from parsers.sniff import challenge_reason, may_be_sure_wall

__all__ = ["challenge_why", "looks_like_challenge"]

_TS = re.compile(rb"\$_ts\s*=|\$_ts\.|\$_ts\[", re.I)
_SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script>", re.I | re.S)
_TAGS = re.compile(rb"<[^>]+>")
_SMALL = 8 * 1024
#: above this many bytes, only a page carrying a wall's marks is looked at (see challenge_why)
_BIG = 60_000
_SURE_ON_200 = ("$_ts", "cookie check", "verification")


def _visible_text_len(body: bytes) -> int:
    text = _TAGS.sub(b" ", _SCRIPT.sub(b" ", body))
    return len(re.sub(rb"\s+", b"", text))


def challenge_why(status: int, body: bytes) -> str | None:
    """Why this response is a challenge page, or None when it is content.

    Walls are a few kB. A body past ``_BIG`` bytes with none of their marks is content
    without reading its text: the text test only sees the first 64 kB, and there the
    parser's own "big page" exit never fired, so every report page paid for a regex pass
    over 64 kB on the crawl's event loop. On a 200, a page without any sure wall's literal
    (``may_be_sure_wall``) is content too: report pages under the size bound (stubs in
    front of attachments, short reports) no longer pay for stripping to visible text.
    """
    head = body[:65536]
    low = head.lower()  # byte search for the marks; a case-blind regex tested every position
    marked = b"$_ts" in low or b"assword" in low
    reason: str | None = None
    # on a 200 only the sure walls count, and each needs a literal (may_be_sure_wall)
    if (len(body) <= _BIG or marked) and (status in (202, 412) or may_be_sure_wall(head)):
        try:
            reason = challenge_reason(head.decode("utf-8", "replace"))
        except Exception:  # a helper's bug must not turn a page into a crash
            reason = None
    if status in (202, 412):
        if reason:
            return reason
        if (marked and _TS.search(head)) or (len(body) < _SMALL and _SCRIPT.search(head) and _visible_text_len(head) < 40):
            return "blocked: JavaScript-only challenge page"
        return None
    if reason and any(k in reason for k in _SURE_ON_200):
        return reason
    if marked and _TS.search(head) and _visible_text_len(head) < 600:
        return "blocked: anti-bot challenge page (瑞数 $_ts script), not content"
    return None


def looks_like_challenge(status: int, body: bytes) -> bool:
    """True for a challenge page (see ``challenge_why``)."""
    return challenge_why(status, body) is not None
