"""When a stored report page is worth asking the portal about again.

Annual reports are published once and seldom revised, and the revisions that do
happen come soon after publication. A crawl that sends a conditional GET for every
stored report costs the portal a request per report on every run, and it bounded
our recrawl of an unchanged 1,000-report web at 6–7× faster than the first crawl
(``make bench``, 2026-12-05): the requests themselves were the cost.

So a stored report is asked about again once it has gone unchecked for half as long
as its content has been seen stable, never sooner than ``REVISIT_MIN`` and never later
than ``REVISIT_MAX``. Content means the parsed report, not the page's bytes: portal pages
carry visit counters and today's date, and bytes that change on every fetch would keep a
page at the minimum forever. That is exponential backoff for pages that do not change, the
adaptive schedule of Nutch's ``AdaptiveFetchSchedule``. Scrapy's DeltaFetch, the
usual incremental Scrapy setup, never asks again at all. List pages are fetched on
every crawl, so new reports are found on every crawl. A page whose last fetch failed,
or whose report is not stored from the current parser, is always due.
``govreports crawl --revalidate`` asks about every stored report now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["REVISIT_MAX", "REVISIT_MIN", "is_due", "revisit_interval"]

#: a report checked less than this long ago is not asked about again (a crawl rerun
#: within hours, a retry); a daily schedule still checks a new report every day at first
REVISIT_MIN = timedelta(hours=6)
#: every stored report is asked about at least this often, however long it has been stable
REVISIT_MAX = timedelta(days=30)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def revisit_interval(last_fetched: datetime, last_changed: datetime) -> timedelta:
    """How long after ``last_fetched`` a page is due: half of how long its report had been
    unchanged at that check, clamped to [``REVISIT_MIN``, ``REVISIT_MAX``]."""
    stable = max(_utc(last_fetched) - _utc(last_changed), timedelta(0))
    return min(REVISIT_MAX, max(REVISIT_MIN, stable / 2))


def is_due(now: datetime, last_fetched: datetime | None, last_changed: datetime | None) -> bool:
    """Whether a stored page should be fetched (conditionally) in a crawl at ``now``.

    A page never checked, or with no known change time, is due. Naive datetimes are UTC
    (SQLite hands them back naive).
    """
    if last_fetched is None or last_changed is None:
        return True
    return _utc(now) - _utc(last_fetched) >= revisit_interval(last_fetched, last_changed)
