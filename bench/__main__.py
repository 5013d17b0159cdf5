"""``python -m bench [--quick] [NAME ...]``: run the benchmark modules, print one table, save JSON.

Every module ``bench/<name>.py`` with a ``run(quick: bool = False) -> list[dict]`` is a
benchmark; each row is ``{"name", "value", "unit", "note"}``. Results go to
``bench/results/<UTC timestamp>.json`` and ``bench/results/latest.json`` with the machine
they were measured on, so figures in the README can be traced to a run. A module that
fails costs its own rows (recorded with the error), never the others'.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def discover() -> list[str]:
    """Benchmark module names: every bench/<name>.py except the runner itself."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], float, str | None]:
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
    except Exception as exc:
        return [], time.perf_counter() - started, f"import failed: {exc!r}"
    run = getattr(module, "run", None)
    if not callable(run):
        return [], 0.0, None  # a helper module, not a benchmark
    try:
        rows = list(run(quick=quick))
    except Exception:
        return [], time.perf_counter() - started, traceback.format_exc(limit=5)
    for row in rows:
        missing = {"name", "value", "unit"} - set(row)
        if missing:
            return [], time.perf_counter() - started, f"row {row!r} lacks {sorted(missing)}"
        row.setdefault("note", "")
    return rows, time.perf_counter() - started, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these modules (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes (each module under ~20 s)")
    args = parser.parse_args(argv)
    names = args.names or discover()
    unknown = [n for n in names if n not in discover()]
    if unknown:
        parser.error(f"no benchmark module(s): {', '.join(unknown)} (have: {', '.join(discover())})")

    from rich.console import Console
    from rich.table import Table

    console = Console()
    results: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for name in names:
        console.print(f"[dim]bench: {name}…[/]")
        rows, seconds, error = run_module(name, args.quick)
        if error:
            errors[name] = error
            console.print(f"[red]bench {name} failed:[/] {error}")
        for row in rows:
            results.append({"module": name, **row})
        console.print(f"[dim]bench: {name} took {seconds:.1f} s[/]")

    table = Table(title="govreports benchmarks" + (" (quick)" if args.quick else ""), title_justify="left")
    for col in ("module", "name", "value", "unit", "note"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for r in results:
        v = r["value"]
        shown = f"{v:,.3g}" if isinstance(v, float) and abs(v) < 100 else (f"{v:,.0f}" if isinstance(v, float) else str(v))
        table.add_row(r["module"], r["name"], shown, r["unit"], r.get("note", ""))
    for name, err in errors.items():
        table.add_row(name, "[red]failed[/]", "", "", err.strip().splitlines()[-1][:100])
    console.print(table)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {
        "measured_at": stamp,
        "quick": args.quick,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": results,
        "errors": errors,
    }
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    (RESULTS / f"{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    console.print(f"saved bench/results/{stamp}.json and bench/results/latest.json")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
