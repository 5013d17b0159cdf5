"""The spec's arithmetic rules: what runs, what fails, and that failures keep the printed numbers."""

from __future__ import annotations

from parsers.checks import run_checks

T = "requests.table."


def _rules(stats: dict[str, float | int]) -> dict[str, bool]:
    return {c.rule: c.ok for c in run_checks(stats)}


def test_balance_per_column() -> None:
    stats = {f"{T}new_received.natural_person": 21, f"{T}carried_over.natural_person": 0,
             f"{T}total.natural_person": 17, f"{T}carried_forward.natural_person": 5,
             f"{T}new_received.total": 22, f"{T}carried_over.total": 0,
             f"{T}total.total": 17, f"{T}carried_forward.total": 5}
    rules = _rules(stats)
    assert rules["balance.natural_person"] is False and rules["balance.total"] is True


def test_balance_needs_all_four_numbers() -> None:
    stats = {f"{T}new_received.commercial": 1, f"{T}carried_over.commercial": 0, f"{T}total.commercial": 1}
    assert "balance.commercial" not in _rules(stats)


def test_row_total_keeps_the_printed_error() -> None:
    stats = {f"{T}granted.{c}": v for c, v in (("natural_person", 10), ("commercial", 0), ("research", 0),
                                                 ("social_welfare", 0), ("legal_services", 1), ("other_org", 0),
                                                 ("total", 10))}
    (check,) = [c for c in run_checks(stats) if c.rule == "row_total.granted"]
    assert check.ok is False and check.detail == "10 + 0 + 0 + 0 + 1 + 0 = 11 != 10"
    assert stats[f"{T}granted.total"] == 10


def test_outcomes_2019_and_2021() -> None:
    base = {f"{T}granted.total": 5, f"{T}partially_granted.total": 1, f"{T}denied.state_secret.total": 1}
    one_row = {**base, f"{T}other.total": 2, f"{T}total.total": 9}
    assert _rules(one_row)["outcomes.total"] is True
    split = {**base, f"{T}other.overdue_correction.total": 1, f"{T}other.overdue_fee.total": 0,
             f"{T}other.other.total": 1, f"{T}total.total": 9}
    assert _rules(split)["outcomes.total"] is True
    split[f"{T}total.total"] = 10
    assert _rules(split)["outcomes.total"] is False


def test_review_and_litigation_totals() -> None:
    stats = {"review.upheld": 72, "review.corrected": 64, "review.other": 178, "review.pending": 37,
             "review.total": 351, "litigation.direct.upheld": 1, "litigation.direct.total": 2}
    rules = _rules(stats)
    assert rules == {"review.total": True, "litigation.direct.total": False}


def test_nothing_parsed_nothing_checked() -> None:
    assert run_checks({"proactive.total": 5}) == []
