"""``govreports ingest PATH... [--source KEY]``: reports a researcher downloaded by hand, stored like crawled ones.

The same bounded parse as ``govreports parse`` (``parsers.extract`` + ``build_record``
with the settings' limits), the bytes into the raw archive, and one
``Store.record_batch`` per file: the report (natural key: source + the file's
``file://`` URL) and its document row, so ``reparse`` finds the bytes later.
A file's modification time stands for the fetch time: the same bytes again
write nothing (``unchanged``), new bytes at the same path are a new version
(``changed``). Agency identity comes from the store as for a crawl: the
source's catalog pin with ``--source``, else the record's agency.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

__all__ = ["LOCAL_SOURCE", "FileOutcome", "ingest_paths", "register"]

#: the source key of files ingested without ``--source``
LOCAL_SOURCE = "local"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What became of one file: ``outcome`` new/changed/unchanged/refreshed, or failed with a reason."""

    path: Path
    outcome: str
    #: ParseError kind, ``read`` or ``storage`` for a failure
    error_kind: str | None = None
    reason: str | None = None
    year: int | None = None
    agency: str | None = None
    format: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_kind is not None


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Each path, folders walked recursively in name order; hidden files and folders skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in rel):
                    yield child
        else:
            yield path  # a missing file fails with its reason when read


def ingest_paths(store: Any, archive: Any, paths: list[Path], *, source: str, limits: Any) -> Iterator[FileOutcome]:
    """Parse, archive and store each file; a failure is an outcome, never an exception."""
    from parsers import build_record, extract
    from parsers.errors import ParseError
    from storage import DocumentItem, ReportItem, StorageError

    for path in iter_files(paths):
        try:
            stat = path.stat()
            if stat.st_size > limits.max_bytes:  # do not even read a file over the cap
                raise ParseError("too_large", f"too large: {stat.st_size} bytes, over the cap of {limits.max_bytes} bytes")
            data = path.read_bytes()
            doc = extract(data, filename=path.name, limits=limits)
            record = build_record(doc)
        except ParseError as exc:
            yield FileOutcome(path, "failed", exc.kind, exc.reason)
            continue
        except OSError as exc:
            yield FileOutcome(path, "failed", "read", f"cannot read: {exc.strerror or exc}")
            continue
        when = datetime.fromtimestamp(stat.st_mtime, UTC)
        url = path.resolve().as_uri()
        try:
            sha256, stored = archive.put(data)
            counts = store.record_batch(
                documents=[
                    DocumentItem(
                        source_key=source, url=url, fetched_at=when, sha256=sha256,
                        archive_path=str(stored), kind="report",
                    )
                ],
                reports=[
                    ReportItem(
                        source_key=source, url=url, record=record, text=doc.text,
                        document_sha256=sha256, fetched_at=when,
                    )
                ],
            )
        except (StorageError, OSError) as exc:
            yield FileOutcome(path, "failed", "storage", str(exc))
            continue
        outcome = next(k for k in ("new", "changed", "refreshed", "unchanged") if getattr(counts, k))
        yield FileOutcome(path, outcome, year=record.year, agency=record.agency, format=record.format)


def ingest_command(
    paths: list[Path] = typer.Argument(..., help="report files or folders (HTML, PDF, DOCX, DOC, text)", metavar="PATH..."),
    source: str | None = typer.Option(
        None, "--source", help=f"catalog source the files belong to (its agency: pin applies); default {LOCAL_SOURCE!r}"
    ),
    db: str | None = typer.Option(None, "--db", help="database URL (default: settings / GOVREPORTS_DB)"),
) -> None:
    """Parse local report files and store them like crawled reports; exit 2 if any file failed."""
    from govreports.settings import get_settings
    from parsers.limits import Limits
    from scrapers.archive import RawArchive
    from scrapers.catalog import CatalogError, load_catalog
    from storage import StorageError, Store

    settings = get_settings(db=db)
    try:
        store = Store(settings.db)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if source is not None:
        # the entry must exist: its agency: pin is what --source is for
        try:
            catalog = load_catalog(settings.sources)
            catalog.get(source)
        except CatalogError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except KeyError:
            typer.echo(f"error: {settings.sources}: no source {source!r}", err=True)
            raise typer.Exit(2) from None
        store.sync_sources(catalog.sources)
    counts: dict[str, int] = {}
    with store:
        for out in ingest_paths(
            store, RawArchive(settings.archive), paths, source=source or LOCAL_SOURCE,
            limits=Limits.from_settings(settings),
        ):
            counts[out.outcome] = counts.get(out.outcome, 0) + 1
            if out.failed:
                print(f"{out.path}: failed: {out.error_kind}: {out.reason}", file=sys.stderr)
            else:
                print(f"{out.path}: {out.outcome}: {out.year} {out.format} {out.agency or '(no agency)'}")
            sys.stdout.flush()
    if not counts:
        typer.echo(f"error: no files in {', '.join(map(str, paths))}", err=True)
        raise typer.Exit(2)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"ingested {sum(counts.values())} files: {summary}", file=sys.stderr)
    if counts.get("failed"):
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
