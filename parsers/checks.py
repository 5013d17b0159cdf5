"""The arithmetic the report templates imply, run on what was parsed.

A failed check is reported, never corrected: real reports contain their own
errors (10 + 1 = 10 in a row), and the record keeps the printed numbers so a
reader can see both. A check runs only when its numbers were parsed; a blank
cell (absent) counts as 0 inside a sum it takes part in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from parsers.record import Check
from parsers.tables import COLUMNS, OUTCOME_ROWS_2019, OUTCOME_ROWS_2021

__all__ = ["run_checks"]

_PARTS = ("upheld", "corrected", "other", "pending")
_APPLICANT_COLUMNS = COLUMNS[:6]


def _fmt(n: float | int) -> str:
    return str(n)


def _sum_check(rule: str, total: float | int, parts: Sequence[tuple[str, float | int]]) -> Check:
    got = sum(v for _, v in parts)
    ok = abs(got - total) < 1e-6
    expr = " + ".join(_fmt(v) for _, v in parts) or "0"
    return Check(rule=rule, ok=ok, detail=f"{expr} = {_fmt(got)} {'==' if ok else '!='} {_fmt(total)}")


def run_checks(stats: Mapping[str, float | int]) -> list[Check]:
    """Every rule of the spec whose inputs are present, in a stable order."""
    checks: list[Check] = []
    t = "requests.table."
    has_split = any(k.startswith((t + "other.overdue_", t + "other.other.")) for k in stats)
    outcome_rows = OUTCOME_ROWS_2021 if has_split else OUTCOME_ROWS_2019
    for col in COLUMNS:
        vals = [stats.get(f"{t}{row}.{col}") for row in ("new_received", "carried_over", "total", "carried_forward")]
        if all(v is not None for v in vals):
            nr, co, tot, cf = (v or 0 for v in vals)
            ok = abs((nr + co) - (tot + cf)) < 1e-6
            checks.append(Check(
                rule=f"balance.{col}", ok=ok,
                detail=f"new {nr} + carried over {co} = {nr + co} {'==' if ok else '!='} "
                       f"total {tot} + carried forward {cf} = {tot + cf}",
            ))
    for col in COLUMNS:
        total = stats.get(f"{t}total.{col}")
        parts = [(row, stats[f"{t}{row}.{col}"]) for row in outcome_rows if f"{t}{row}.{col}" in stats]
        if total is not None and parts:
            checks.append(_sum_check(f"outcomes.{col}", total, parts))
    present = {k[len(t):].rsplit(".", 1)[0] for k in stats if k.startswith(t)}
    order = {row: i for i, row in enumerate(("new_received", "carried_over", *outcome_rows, "total", "carried_forward"))}
    rows = sorted(present, key=lambda r: (order.get(r, len(order)), r))
    for row in rows:
        total = stats.get(f"{t}{row}.total")
        parts = [(c, stats[f"{t}{row}.{c}"]) for c in _APPLICANT_COLUMNS if f"{t}{row}.{c}" in stats]
        if total is not None and parts:
            checks.append(_sum_check(f"row_total.{row}", total, parts))
    for group in ("review", "litigation.direct", "litigation.after_review"):
        total = stats.get(f"{group}.total")
        parts = [(p, stats[f"{group}.{p}"]) for p in _PARTS if f"{group}.{p}" in stats]
        if total is not None and parts:
            checks.append(_sum_check(f"{group}.total", total, parts))
    return checks
