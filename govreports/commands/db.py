"""Database commands: ``db upgrade``, ``reports``, ``show``, ``sql``, ``export``, ``browse``.

Thin wrappers over ``storage``: every command takes ``--db URL`` (default from
settings), opens the database (upgrading an empty one), prints, and turns a
``StorageError`` into one line on stderr and exit code 2. SQLAlchemy, pyarrow
and rich are imported inside the commands so ``govreports --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from govreports.settings import get_settings

__all__ = ["register"]

DB_OPTION = typer.Option(None, "--db", help="database URL (default: settings / GOVREPORTS_DB)")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _store(db: str | None) -> Any:
    from storage import StorageError, Store

    url = get_settings(db=db).db
    try:
        return Store(url)
    except StorageError as exc:
        raise _fail(str(exc)) from None


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _print_table(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None) -> None:
    from rich.table import Table

    from govreports.console import make_console

    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    make_console().print(table)


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, title: str | None = None) -> None:
    if fmt == "table":
        _print_table(columns, rows, title)
    elif fmt == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(columns)
        w.writerows(rows)
    elif fmt == "json":
        typer.echo(
            json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False, default=str)
        )
    else:
        raise _fail(f"unknown format {fmt!r} (table, csv or json)")


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def upgrade_cmd(db: str | None = DB_OPTION) -> None:
        """Create or upgrade the schema (Alembic migrations); a no-op when current."""
        from storage import StorageError
        from storage.engine import make_engine
        from storage.migrate import upgrade

        url = get_settings(db=db).db
        try:
            before, after = upgrade(make_engine(url))
        except Exception as exc:
            raise _fail(f"{StorageError.__name__}: cannot upgrade {url}: {exc}") from None
        typer.echo(
            f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})")
        )

    @app.command("reports")
    def reports_cmd(
        agency: str | None = typer.Option(None, "--agency", help="agency contains TEXT"),
        year: int | None = typer.Option(None, "--year", help="year reported on"),
        format: str | None = typer.Option(None, "--format", help="legacy, 2019 or 2021"),
        failed_checks: bool = typer.Option(False, "--failed-checks", help="only reports with a failed check"),
        output: str = typer.Option("table", "--output", "-o", help="table, csv or json"),
        limit: int | None = typer.Option(None, "--limit", help="at most N reports"),
        db: str | None = DB_OPTION,
    ) -> None:
        """List stored reports (id, year, agency, format, stats and failed-check counts)."""
        from storage.query import list_reports

        store = _store(db)
        rows = list_reports(
            store.engine, agency=agency, year=year, format=format, failed_checks=failed_checks, limit=limit
        )
        cols = ["id", "year", "agency", "format", "stats", "failed_checks", "source", "url"]
        data = [
            (r.id, r.year, r.agency, r.format, r.n_stats, r.n_failed_checks, r.source_key, r.url)
            for r in rows
        ]
        _print_rows(cols, data, output, title=f"{len(rows)} reports")

    @app.command("show")
    def show_cmd(
        ref: str = typer.Argument(..., help="report id or URL"),
        db: str | None = DB_OPTION,
    ) -> None:
        """Print one report: the record JSON (as `parse --json`) plus source, url, fetched_at."""
        from storage.query import find_report

        store = _store(db)
        line = find_report(store.engine, ref)
        if line is None:
            raise _fail(f"no report with id or URL {ref!r} in {get_settings(db=db).db}")
        typer.echo(json.dumps(line, ensure_ascii=False, indent=2))

    @app.command("sql")
    def sql_cmd(
        query: str = typer.Argument(..., help="one SQL statement (read-only)"),
        format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
        db: str | None = DB_OPTION,
    ) -> None:
        """Run read-only SQL; the connection itself refuses writes, ATTACH and setting pragmas."""
        from storage import StorageError
        from storage.query import readonly_sql

        url = _store(db).url  # opening once creates/upgrades an empty database
        try:
            result = readonly_sql(url, query)
        except StorageError as exc:
            raise _fail(str(exc)) from None
        _print_rows(result.columns, result.rows, format)

    @app.command("export")
    def export_cmd(
        format: str = typer.Option(..., "--format", "-f", help="csv, jsonl or parquet"),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="output file (default: stdout; parquet needs a file)"
        ),
        table: str = typer.Option(
            "headline", "--table", help="csv/parquet: headline (one row per report) or stats (long)"
        ),
        db: str | None = DB_OPTION,
    ) -> None:
        """Export reports: JSON Lines (full records) or the headline/long stats as CSV/Parquet."""
        from storage import StorageError
        from storage.query import export

        if format not in ("csv", "jsonl", "parquet"):
            raise _fail(f"unknown export format {format!r} (csv, jsonl or parquet)")
        if format == "parquet" and out is None:
            raise _fail("parquet export needs --out PATH")
        store = _store(db)
        try:
            n = export(store.engine, format, out if out is not None else sys.stdout, table=table)  # type: ignore[arg-type]
        except StorageError as exc:
            raise _fail(str(exc)) from None
        if out is not None:
            typer.echo(f"wrote {n} {'reports' if format == 'jsonl' else 'rows'} to {out}", err=True)

    @app.command("browse")
    def browse_cmd(
        port: int = typer.Option(8001, "--port", help="Datasette port on 127.0.0.1"),
        db: str | None = DB_OPTION,
    ) -> None:
        """Open the SQLite database in Datasette: titles in 中文/English, facets, canned queries."""
        import subprocess
        import tempfile

        from storage.browse import datasette_metadata
        from storage.engine import is_sqlite, sqlite_path

        url = get_settings(db=db).db
        if not is_sqlite(url) or sqlite_path(url) is None:
            raise _fail(f"browse works on a SQLite file; {url} is not one (use `govreports sql`)")
        path = sqlite_path(url)
        assert path is not None
        _store(db).close()  # create/upgrade first
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(datasette_metadata(path.stem), fh, ensure_ascii=False)
        cmd = [sys.executable, "-m", "datasette", "serve", str(path), "--metadata", fh.name]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        raise typer.Exit(subprocess.call(cmd))
