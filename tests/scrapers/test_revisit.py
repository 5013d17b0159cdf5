"""The revisit schedule: stable pages are asked about less and less often, within bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from scrapers.revisit import REVISIT_MAX, REVISIT_MIN, is_due, revisit_interval

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_a_page_seen_changing_at_its_last_check_waits_the_minimum() -> None:
    assert revisit_interval(NOW, NOW) == REVISIT_MIN
    assert not is_due(NOW + REVISIT_MIN - timedelta(seconds=1), NOW, NOW)
    assert is_due(NOW + REVISIT_MIN, NOW, NOW)


@pytest.mark.parametrize("stable_days", [1, 4, 10, 40])
def test_the_wait_is_half_the_stable_time_up_to_the_maximum(stable_days: int) -> None:
    changed = NOW - timedelta(days=stable_days)
    wait = revisit_interval(NOW, changed)
    assert wait == min(REVISIT_MAX, timedelta(days=stable_days) / 2)
    assert not is_due(NOW + wait - timedelta(minutes=1), NOW, changed)
    assert is_due(NOW + wait, NOW, changed)


def test_a_daily_crawl_backs_off_on_a_page_that_never_changes() -> None:
    """Each wait is half the stable time so far, so the gaps grow by about half each time
    (day 5: stable 5 days, next due at 7.5, so the daily run of day 8) up to the cap."""
    changed = last = NOW
    checks = []
    for day in range(1, 200):
        at = NOW + timedelta(days=day)
        if is_due(at, last, changed):
            checks.append(day)
            last = at
    assert checks[:7] == [1, 2, 3, 5, 8, 12, 18]
    gaps = [b - a for a, b in pairwise(checks)]
    assert gaps == sorted(gaps) and max(gaps) == REVISIT_MAX.days
    assert len(checks) < 20  # 199 daily runs, under 20 requests for this page


def test_unknown_times_are_due_and_naive_times_are_utc() -> None:
    assert is_due(NOW, None, NOW) and is_due(NOW, NOW, None)
    naive = NOW.replace(tzinfo=None)
    assert not is_due(NOW, naive, naive)
    # a clock that went backwards (last change after the check) waits the minimum, not less
    assert revisit_interval(NOW, NOW + timedelta(days=3)) == REVISIT_MIN
