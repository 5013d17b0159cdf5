"""Plausible statistics for a synthetic report, and the spec's arithmetic checks.

The numbers are built so that every rule in ``spec/report-record.md`` ("checks")
holds; a report chosen to be faulty then gets one printed cell changed, the way
real reports get one wrong (10 + 1 = 10 in a row), and the rules that now fail
are computed by running the same checks, so the ground truth names exactly the
rule ids a correct parser must report as failed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "APPLICANT_COLS",
    "OUTCOME_ROWS_2019",
    "OUTCOME_ROWS_2021",
    "GeneratedStats",
    "failing_checks",
    "generate_stats",
]

Stats = dict[str, float | int]

APPLICANT_COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org")
_ALL_COLS = (*APPLICANT_COLS, "total")

_DENIED = (
    "denied.state_secret",
    "denied.prohibited_by_law",
    "denied.three_safeties",
    "denied.third_party",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_files",
    "denied.admin_inquiry",
)
_UNABLE = ("unable.not_held", "unable.needs_creation", "unable.unclear")
_NOT_PROCESSED = (
    "not_processed.petition",
    "not_processed.repeated",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.confirmation",
)
OUTCOME_ROWS_2019 = ("granted", "partially_granted", *_DENIED, *_UNABLE, *_NOT_PROCESSED, "other")
OUTCOME_ROWS_2021 = (
    "granted",
    "partially_granted",
    *_DENIED,
    *_UNABLE,
    *_NOT_PROCESSED,
    "other.overdue_correction",
    "other.overdue_fee",
    "other.other",
)
#: relative weights of outcomes: most requests are granted or "not held"
_OUTCOME_WEIGHT = {
    "granted": 40,
    "partially_granted": 10,
    "unable.not_held": 22,
    "not_processed.petition": 3,
    "not_processed.repeated": 3,
    "denied.process_info": 2,
    "denied.third_party": 2,
    "denied.admin_inquiry": 2,
    "other": 5,
    "other.overdue_correction": 3,
    "other.other": 3,
}
_RESULTS = ("upheld", "corrected", "other", "pending")


@dataclass(slots=True)
class GeneratedStats:
    stats: Stats
    failing: list[str] = field(default_factory=list)
    #: what was deliberately broken, for humans reading the truth file
    defect: str | None = None


def _split(rng: random.Random, total: int, keys: tuple[str, ...]) -> dict[str, int]:
    """Distribute ``total`` over ``keys`` by weight, at random, summing exactly."""
    weights = [(_OUTCOME_WEIGHT.get(k, 0.4)) * rng.uniform(0.3, 1.7) for k in keys]
    out = dict.fromkeys(keys, 0)
    for _ in range(total):
        out[rng.choices(keys, weights)[0]] += 1
    return out


def _results(rng: random.Random, prefix: str, scale: int) -> Stats:
    vals = {r: (rng.randint(0, scale) if rng.random() < 0.6 else 0) for r in _RESULTS}
    out: Stats = {f"{prefix}.{r}": v for r, v in vals.items()}
    out[f"{prefix}.total"] = sum(vals.values())
    return out


def _application_table(rng: random.Random, rows: tuple[str, ...]) -> Stats:
    size = rng.choice([rng.randint(0, 12), rng.randint(10, 90), rng.randint(80, 900)])
    share = {"natural_person": 0.85, "commercial": 0.07, "research": 0.005, "social_welfare": 0.01,
             "legal_services": 0.04, "other_org": 0.02}
    s: Stats = {}
    for col in APPLICANT_COLS:
        new = int(size * share[col] * rng.uniform(0.5, 1.5)) if col == "natural_person" or rng.random() < 0.45 else 0
        carried = rng.randint(0, max(1, new // 12)) if rng.random() < 0.5 else 0
        forward = rng.randint(0, max(0, (new + carried) // 10)) if rng.random() < 0.5 else 0
        handled = new + carried - forward
        split = _split(rng, handled, rows)
        s[f"requests.table.new_received.{col}"] = new
        s[f"requests.table.carried_over.{col}"] = carried
        for row, v in split.items():
            s[f"requests.table.{row}.{col}"] = v
        s[f"requests.table.total.{col}"] = handled
        s[f"requests.table.carried_forward.{col}"] = forward
    for row in ("new_received", "carried_over", *rows, "total", "carried_forward"):
        s[f"requests.table.{row}.total"] = sum(int(s[f"requests.table.{row}.{c}"]) for c in APPLICANT_COLS)
    return s


def _art20_2021(rng: random.Random) -> Stats:
    rules_in_force = rng.randint(0, 30)
    norm_in_force = rng.randint(5, 800)
    return {
        "art20.rules.issued": rng.randint(0, min(3, rules_in_force)),
        "art20.rules.repealed": rng.randint(0, 2),
        "art20.rules.in_force": rules_in_force,
        "art20.normative.issued": rng.randint(0, min(90, norm_in_force)),
        "art20.normative.repealed": rng.randint(0, 60),
        "art20.normative.in_force": norm_in_force,
        "art20.licensing.decisions": rng.randint(0, 500000),
        "art20.penalty.decisions": rng.randint(0, 90000),
        "art20.enforcement.decisions": rng.randint(0, 5000),
        "art20.fees.amount_wan": round(rng.uniform(0, 20000), 2),
    }


def _art20_2019(rng: random.Random) -> Stats:
    out: Stats = {}
    for kind, hi in (("rules", 5), ("normative", 40)):
        made = rng.randint(0, hi)
        out[f"art20.{kind}.made"] = made
        out[f"art20.{kind}.published"] = made
        out[f"art20.{kind}.public_total"] = made + rng.randint(0, hi * 8)
    for kind in ("licensing", "other_services", "penalty", "enforcement"):
        out[f"art20.{kind}.prior"] = rng.randint(10, 1500)
        out[f"art20.{kind}.change"] = rng.randint(-40, 80)
        out[f"art20.{kind}.decisions"] = rng.randint(0, 100000)
    out["art20.fees.prior"] = rng.randint(5, 80)
    out["art20.fees.change"] = rng.randint(-20, 5)
    out["art20.procurement.items"] = rng.randint(10, 4000)
    out["art20.procurement.amount_wan"] = round(rng.uniform(100, 9000), 2)
    return out


def _headline(s: Stats, rows: tuple[str, ...]) -> None:
    t = "requests.table"
    s["requests.received"] = s[f"{t}.new_received.total"]
    s["requests.carried_over"] = s[f"{t}.carried_over.total"]
    s["requests.granted"] = s[f"{t}.granted.total"]
    s["requests.partially_granted"] = s[f"{t}.partially_granted.total"]
    s["requests.denied"] = sum(int(s[f"{t}.{r}.total"]) for r in _DENIED)
    s["requests.carried_forward"] = s[f"{t}.carried_forward.total"]
    s["litigation.total"] = int(s["litigation.direct.total"]) + int(s["litigation.after_review.total"])


def failing_checks(stats: Stats, fmt: str) -> list[str]:
    """The spec's rule ids that fail on ``stats`` (empty when all hold or none apply)."""
    failed: list[str] = []
    if fmt in ("2019", "2021"):
        rows = OUTCOME_ROWS_2019 if fmt == "2019" else OUTCOME_ROWS_2021
        t = "requests.table"
        for col in _ALL_COLS:
            v = {r: stats.get(f"{t}.{r}.{col}") for r in ("new_received", "carried_over", "total", "carried_forward")}
            if None not in v.values() and v["new_received"] + v["carried_over"] != v["total"] + v["carried_forward"]:  # type: ignore[operator]
                failed.append(f"balance.{col}")
        for col in _ALL_COLS:
            parts = [stats.get(f"{t}.{r}.{col}") for r in rows]
            tot = stats.get(f"{t}.total.{col}")
            if tot is not None and None not in parts and sum(parts) != tot:  # type: ignore[arg-type]
                failed.append(f"outcomes.{col}")
        for row in ("new_received", "carried_over", *rows, "total", "carried_forward"):
            parts = [stats.get(f"{t}.{row}.{c}") for c in APPLICANT_COLS]
            tot = stats.get(f"{t}.{row}.total")
            if tot is not None and None not in parts and sum(parts) != tot:  # type: ignore[arg-type]
                failed.append(f"row_total.{row}")
    for prefix in ("review", "litigation.direct", "litigation.after_review"):
        parts = [stats.get(f"{prefix}.{r}") for r in _RESULTS]
        tot = stats.get(f"{prefix}.total")
        if tot is not None and None not in parts and sum(parts) != tot:  # type: ignore[arg-type]
            failed.append(f"{prefix}.total")
    return failed


def _break_one(rng: random.Random, s: Stats, fmt: str) -> str:
    """Change one printed cell the way real reports get one wrong; return a description."""
    rows = OUTCOME_ROWS_2019 if fmt == "2019" else OUTCOME_ROWS_2021
    choice = rng.choice(["row_total", "review", "litigation", "balance"])
    if choice == "row_total":
        row = rng.choice(["granted", "unable.not_held", *rows[:3]])
        key = f"requests.table.{row}.total"
        s[key] = int(s[key]) + rng.choice([-1, 1, 2])
        if s[key] < 0:
            s[key] = int(s[key]) + 3
        if row == "granted":
            s["requests.granted"] = s[key]
        elif row == "partially_granted":
            s["requests.partially_granted"] = s[key]
        elif row.startswith("denied."):
            s["requests.denied"] = sum(int(s[f"requests.table.{r}.total"]) for r in _DENIED)
        return f"{key} printed wrong"
    if choice == "review":
        s["review.total"] = int(s["review.total"]) + 1
        return "review.total printed one too high"
    if choice == "litigation":
        s["litigation.direct.total"] = int(s["litigation.direct.total"]) + 1
        s["litigation.total"] = int(s["litigation.direct.total"]) + int(s["litigation.after_review.total"])
        return "litigation.direct.total printed one too high"
    col = rng.choice(APPLICANT_COLS[:2])
    key = f"requests.table.carried_forward.{col}"
    s[key] = int(s[key]) + 1
    s["requests.table.carried_forward.total"] = sum(
        int(s[f"requests.table.carried_forward.{c}"]) for c in APPLICANT_COLS
    )
    s["requests.carried_forward"] = s["requests.table.carried_forward.total"]
    return f"{key} printed one too high"


def _legacy(rng: random.Random) -> Stats:
    s: Stats = {"proactive.total": rng.randint(300, 90000)}
    received = rng.choice([0, rng.randint(1, 30), rng.randint(20, 600)])
    s["requests.received"] = received
    if received:
        granted = int(received * rng.uniform(0.5, 0.9))
        partial = int((received - granted) * rng.uniform(0, 0.6))
        s["requests.granted"] = granted
        s["requests.partially_granted"] = partial
        s["requests.denied"] = received - granted - partial
    s["fees.total_yuan"] = 0
    if rng.random() < 0.35:
        r = _results(rng, "review", 6)
        s.update({k: v for k, v in r.items() if not k.endswith(".pending")})
        s["review.total"] = int(s["review.upheld"]) + int(s["review.corrected"]) + int(s["review.other"])
    else:
        s["review.total"] = 0
    s["litigation.total"] = rng.choice([0, 0, rng.randint(1, 20)])
    if rng.random() < 0.4:
        full = rng.randint(5, 80)
        part = rng.randint(0, 60)
        s["staff.total"] = full + part
        s["staff.full_time"] = full
        s["staff.part_time"] = part
    if rng.random() < 0.3:
        s["spending_wan"] = rng.randint(1, 60)
    return s


def generate_stats(rng: random.Random, fmt: str, *, broken: bool = False) -> GeneratedStats:
    """Stats for one report of format ``fmt`` ("legacy", "2019", "2021").

    ``broken`` makes one printed number wrong (only table formats carry enough
    arithmetic for a meaningful defect); the result lists the rules that fail.
    """
    if fmt == "legacy":
        return GeneratedStats(_legacy(rng))
    rows = OUTCOME_ROWS_2019 if fmt == "2019" else OUTCOME_ROWS_2021
    s = _art20_2019(rng) if fmt == "2019" else _art20_2021(rng)
    s.update(_application_table(rng, rows))
    s.update(_results(rng, "review", rng.choice([3, 20, 200])))
    s.update(_results(rng, "litigation.direct", rng.choice([2, 10])))
    s.update(_results(rng, "litigation.after_review", rng.choice([2, 10])))
    _headline(s, rows)
    defect = _break_one(rng, s, fmt) if broken else None
    return GeneratedStats(s, failing_checks(s, fmt), defect)
