"""The crawler's one error type: a machine-readable kind and a reason naming the URL.

Callers record ``kind`` in the fetch log and decide by it: ``blocked`` and ``refused``
are not worth retrying in a later run the same way ``network`` failures are.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["FetchError", "FetchErrorKind"]

FetchErrorKind = Literal[
    "refused",  # URL not allowed: scheme, host outside the source, private address
    "redirects",  # too many redirects or a redirect loop
    "too_large",  # body over the size cap (raw or decompressed)
    "http",  # a non-retryable HTTP status (4xx other than 429), or retries exhausted on 5xx/429
    "network",  # connection errors, timeouts, truncated bodies, after retries
    "tls",  # the server's certificate failed verification (not retried)
    "robots",  # robots.txt disallows the URL
    "blocked",  # an anti-bot challenge page
    "decode",  # a body that claims an encoding it does not have (bad gzip/brotli)
    "discovery",  # a list page that cannot be understood
]


class FetchError(Exception):
    """A URL that could not be fetched, and why."""

    def __init__(
        self,
        kind: FetchErrorKind,
        reason: str,
        *,
        url: str,
        status: int | None = None,
        retries: int = 0,
        retry_after: float | None = None,
    ):
        self.kind: FetchErrorKind = kind
        self.reason = reason
        self.url = url
        self.status = status
        self.retries = retries
        self.retry_after = retry_after
        super().__init__(f"{url}: {kind}: {reason}")

    @property
    def label(self) -> str:
        """``kind: reason``, the form stored in fetch logs."""
        return f"{self.kind}: {self.reason}"
