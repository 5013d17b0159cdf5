"""``govreports agencies`` and ``govreports panel``: agencies across the years, for researchers.

Thin wrappers over ``storage.panel`` (the SQL) and ``govreports.plot`` (the
pictures). Output goes through the same table/csv/json printer as ``reports``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from govreports.commands.db import DB_OPTION, _fail, _print_rows, _store

__all__ = ["register", "wide_rows"]

LONG_COLUMNS = ["agency_id", "agency", "year", "key", "value", "report_id", "format", "reports_in_year"]
WIDE_FIXED = ["agency_id", "agency", "year", "report_id", "format", "reports_in_year"]


def _number(v: float) -> float | int:
    """Counts print as counts: 12, not 12.0 (every stats value is stored as a float)."""
    return int(v) if float(v).is_integer() else v


def wide_rows(rows: list[Any], keys: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One row per report (so per agency and year, two when a year has two reports), one column per key.

    Columns are ``keys`` when given, else every key in the order first seen.
    """
    order = list(keys) or list(dict.fromkeys(r.key for r in rows))
    by_report: dict[int, dict[str, Any]] = {}
    for r in rows:
        line = by_report.setdefault(
            r.report_id,
            {
                "agency_id": r.agency_id,
                "agency": r.agency,
                "year": r.year,
                "report_id": r.report_id,
                "format": r.format,
                "reports_in_year": r.reports_in_year,
            },
        )
        line[r.key] = _number(r.value)
    columns = WIDE_FIXED + order
    return columns, [tuple(line.get(c) for c in columns) for line in by_report.values()]


def register(app: typer.Typer) -> None:
    @app.command("agencies")
    def agencies_cmd(
        agency: str | None = typer.Option(None, "--agency", help="name, key or any name seen contains TEXT"),
        format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
        db: str | None = DB_OPTION,
    ) -> None:
        """List each agency identity with the names its reports used and their years."""
        from storage.panel import agencies

        found = agencies(_store(db).engine, agency=agency)
        if format == "json":
            rows: list[tuple[Any, ...]] = [(a.agency_id, a.key, a.name, a.names, a.years, a.reports) for a in found]
        else:
            rows = [
                (
                    a.agency_id,
                    a.key,
                    a.name,
                    "; ".join(f"{n} ({_years(ys)})" for n, ys in a.names.items()),
                    _years(a.years),
                    a.reports,
                )
                for a in found
            ]
        _print_rows(["agency_id", "key", "name", "names", "years", "reports"], rows, format, title=f"{len(found)} agencies")

    @app.command("panel")
    def panel_cmd(
        key: list[str] = typer.Option([], "--key", "-k", help="stats key (repeatable); default every key"),
        agency: str | None = typer.Option(None, "--agency", help="agency name, key or any name seen contains TEXT"),
        year_from: int | None = typer.Option(None, "--from", help="first year"),
        year_to: int | None = typer.Option(None, "--to", help="last year"),
        wide: bool = typer.Option(False, "--wide", help="one row per agency and year, one column per key"),
        checks: bool = typer.Option(False, "--checks", help="list failed cross-year checks instead"),
        gaps: bool = typer.Option(False, "--gaps", help="list each agency's missing years instead"),
        plot: Path | None = typer.Option(None, "--plot", help="draw --key over the years to FILE.svg or FILE.png"),
        format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
        db: str | None = DB_OPTION,
    ) -> None:
        """The agency × year × key panel (latest version of each report), its checks, gaps, or a plot."""
        from storage import panel as p

        if sum((wide, checks, gaps, plot is not None)) > 1:
            raise _fail("choose one of --wide, --checks, --gaps and --plot")
        if format not in ("table", "csv", "json"):
            raise _fail(f"unknown format {format!r} (table, csv or json)")
        engine = _store(db).engine
        if checks:
            fails = [f for f in p.cross_year_failures(engine, agency=agency) if _in_range(f.year, year_from, year_to)]
            cols = ["agency_id", "agency", "year", "rule", "value", "expected", "report_id", "prev_report_id"]
            rows: list[tuple[Any, ...]] = [
                (f.agency_id, f.agency, f.year, f.rule, _number(f.value), _number(f.expected), f.report_id,
                 f.prev_report_id)
                for f in fails
            ]
            _print_rows(cols, rows, format, title=f"{len(rows)} failed cross-year checks")
            return
        if gaps:
            missing = p.gaps(engine, agency=agency)
            rows = []
            for (aid, name), years in missing.items():
                if inside := [y for y in years if _in_range(y, year_from, year_to)]:
                    rows.append((aid, name, inside if format == "json" else _years(inside)))
            _print_rows(["agency_id", "agency", "missing_years"], rows, format, title=f"{len(rows)} agencies with gaps")
            return
        if plot is not None:
            if len(key) != 1:
                raise _fail("--plot draws one --key")
            if plot.suffix.lower() not in (".svg", ".png"):
                raise _fail(f"{plot}: --plot writes .svg or .png")
            from govreports.plot import plot_panel

            data = p.panel_rows(engine, keys=key, agency=agency, year_from=year_from, year_to=year_to)
            if not data:
                raise _fail(f"no values of {key[0]!r} in the panel" + (f" for {agency!r}" if agency else ""))
            failed = p.cross_year_failures(engine, agency=agency)
            plot_panel(data, failed, key[0], plot)
            typer.echo(f"wrote {plot} ({len({r.agency_id for r in data})} agencies)", err=True)
            return
        data = p.panel_rows(engine, keys=key, agency=agency, year_from=year_from, year_to=year_to)
        if wide:
            cols, rows = wide_rows(data, key)
        else:
            cols = LONG_COLUMNS
            rows = [
                (r.agency_id, r.agency, r.year, r.key, _number(r.value), r.report_id, r.format, r.reports_in_year)
                for r in data
            ]
        doubles = {(r.agency_id, r.year) for r in data if r.reports_in_year > 1}
        title = f"{len(rows)} rows" + (f"; {len(doubles)} agency-years with more than one report" if doubles else "")
        _print_rows(cols, rows, format, title=title)
        if doubles and format == "table":
            typer.echo(f"note: {len(doubles)} agency-years have more than one report (reports_in_year > 1)", err=True)


def _in_range(year: int, lo: int | None, hi: int | None) -> bool:
    return (lo is None or year >= lo) and (hi is None or year <= hi)


def _years(years: list[int]) -> str:
    """2015–2017, 2019: runs of consecutive years collapsed."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
