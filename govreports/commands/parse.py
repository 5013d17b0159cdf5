"""``govreports parse FILE... [--json]``: files on disk → report records.

The same code path as the crawler (``parsers.parse_bytes``), so what a user
sees here is what the database would store. A file that cannot be read costs
one line on stderr and exit code 2, but never the other files' output: batch
users pipe the JSON Lines onward and want every record that could be made.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

__all__ = ["register"]


def _summary(path: Path, record: Any) -> None:
    """A readable summary of one record (rich), for people rather than pipes."""
    from rich.table import Table

    from govreports.console import make_console

    console = make_console()
    failed = [c for c in record.checks if not c.ok]
    table = Table(title=f"{record.title}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("file", str(path))
    table.add_row("year / format", f"{record.year} / {record.format}")
    table.add_row("agency", record.agency or "—")
    table.add_row("published", record.published_at or "—")
    table.add_row("period", f"{record.period_start or '?'} – {record.period_end or '?'}")
    contact = record.contact
    table.add_row("contact", " · ".join(v for v in (contact.address, contact.phone, contact.email) if v) or "—")
    table.add_row("sections", " / ".join(s.heading for s in record.sections) or "—")
    table.add_row("stats", f"{len(record.stats)} numbers")
    for key in ("proactive.total", "requests.received", "requests.granted", "review.total", "litigation.total"):
        if key in record.stats:
            table.add_row(f"  {key}", str(record.stats[key]))
    table.add_row("checks", f"{len(record.checks) - len(failed)} ok, {len(failed)} failed")
    for check in failed:
        table.add_row(f"  ✗ {check.rule}", check.detail)
    for warning in record.warnings:
        table.add_row("warning", warning)
    console.print(table)


def parse_command(
    files: list[Path] = typer.Argument(..., help="report files: HTML, PDF, DOCX, DOC/WPS or text", metavar="FILE..."),
    as_json: bool = typer.Option(False, "--json", help="JSON: one pretty record, or JSON Lines for several files"),
    max_bytes: int | None = typer.Option(None, "--max-bytes", help="refuse files larger than this"),
) -> None:
    """Parse report files into records; unreadable files get one stderr line each and exit code 2."""
    from govreports.settings import get_settings
    from parsers import parse_bytes
    from parsers.errors import ParseError
    from parsers.limits import Limits

    limits = Limits.from_settings(get_settings(max_bytes=max_bytes))
    failures = 0
    for path in files:
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:  # do not even read a file over the cap
                raise ParseError("too_large", f"too large: {size} bytes, over the cap of {limits.max_bytes} bytes")
            data = path.read_bytes()
            record = parse_bytes(data, filename=path.name, limits=limits)
        except ParseError as exc:
            failures += 1
            print(f"govreports: {path}: {exc.reason}", file=sys.stderr)
            continue
        except OSError as exc:
            failures += 1
            print(f"govreports: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            continue
        if as_json:
            if len(files) == 1:
                print(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))
            else:
                print(json.dumps(record.to_dict(), ensure_ascii=False))
        else:
            _summary(path, record)
        sys.stdout.flush()
    if failures:
        raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    app.command("parse")(parse_command)
