"""``govreports crawl | demo | serve | rerun-failed | reparse | server-stop``: the orchestration commands.

Every command runs the real Prefect flows (``flows.crawl``, ``flows.maintenance``)
in this process against a Prefect API chosen by ``flows.prefect_server.resolve_api``:
``PREFECT_API_URL`` when set, else a running local server, else one started in the
background and kept for the next command (Prefect's per-command temporary server costs
14–17 s here; a kept server makes the next start-up about 3 s). Heavy imports stay
inside the command bodies so ``govreports --help`` is fast.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from flows.results import SourceResult

__all__ = ["register", "run_crawl"]


def _api(console: Console, *, ephemeral: bool = False) -> None:
    import flows  # noqa: F401  (pins no-phone-home settings before Prefect loads)

    if ephemeral:
        console.print("[dim]Prefect: temporary API server for this command (slow start-up)[/]")
        return
    from flows.prefect_server import PrefectServerError, resolve_api

    t0 = time.perf_counter()
    try:
        choice = resolve_api()
    except PrefectServerError as exc:
        console.print(f"[red]Prefect: {exc}[/]")
        raise typer.Exit(2) from None
    extra = f" ({time.perf_counter() - t0:.1f} s)" if choice.how == "started" else ""
    console.print(f"[dim]Prefect: {choice.describe()}{extra}[/]")


def _run_flow(awaitable: Any) -> Any:
    """Run a Prefect flow call (``return_state=True``) to completion; returns its final state."""

    async def main() -> Any:
        return await awaitable

    return asyncio.run(main())


def summary_table(results: list[SourceResult], title: str = "crawl summary") -> Any:
    """Per source: reports found, parsed, failed checks, failures with reasons."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("source", "state", "found", "new", "changed", "unchanged", "parsed", "failed checks", "failures"):
        table.add_column(col, justify="right" if col not in ("source", "state", "failures") else "left")
    for r in sorted(results, key=lambda r: r.source_key):
        reasons: list[str] = []
        if r.error:
            reasons.append(r.error)
        for f in r.failures[:3]:
            reasons.append(f"{f.stage}: {f.reason} ({f.url.rsplit('/', 1)[-1]})")
        more = r.failed + r.blocked + r.parse_failed - min(3, len(r.failures))
        if more > 0 and r.failures:
            reasons.append(f"… {more} more")
        table.add_row(
            r.source_key,
            "[green]ok[/]" if r.state == "completed" else "[red]failed[/]",
            str(r.discovered),
            str(r.new),
            str(r.changed),
            str(r.unchanged),
            str(r.parsed),
            str(r.checks_failed),
            "\n".join(reasons) or "—",
        )
    return table


def run_crawl(
    console: Console,
    *,
    sources_file: str,
    db: str,
    keys: list[str] | None = None,
    tag: str | None = None,
    politeness: bool = True,
    concurrency: int | None = None,
) -> tuple[list[SourceResult], str]:
    """Run ``crawl_all`` through Prefect with a live progress bar per source."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.crawl import crawl_all, progress_hook

    finished: list[SourceResult] = []
    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    bars: dict[str, Any] = {}

    def on_progress(key: str, event: str, payload: Any) -> None:
        if key not in bars:
            bars[key] = progress.add_task(key, total=None, note="discovering")
        bar = bars[key]
        if event == "discovered":
            progress.update(bar, total=payload, note="")
        elif event == "done":
            progress.advance(bar, payload)
        elif event == "failed":
            progress.update(bar, note=f"[red]{str(payload)[:60]}[/]")
        elif event == "finished":
            finished.append(payload)
            note = "[green]done[/]" if payload.state == "completed" else "[red]failed[/]"
            progress.update(bar, total=payload.discovered or 1, completed=payload.discovered or 1, note=note)

    token = progress_hook.set(on_progress)
    try:
        with progress:
            state = _run_flow(
                crawl_all(
                    sources=keys or None, tag=tag, sources_file=sources_file, db=db,
                    politeness=politeness, concurrency=concurrency, return_state=True,
                )
            )
    finally:
        progress_hook.reset(token)
    return finished, str(state.message or state.type.value)


def register(app: typer.Typer) -> None:
    @app.command("crawl")
    def crawl_cmd(
        sources: Path | None = typer.Option(None, "--sources", help="source catalog (default: sources.yaml)"),
        source: list[str] = typer.Option([], "--source", help="only this source key (repeatable)"),
        tag: str | None = typer.Option(None, "--tag", help="only sources with this tag"),
        db: str | None = typer.Option(None, "--db", help="database URL"),
        no_politeness: bool = typer.Option(
            False, "--no-politeness", help="no rate limits or robots.txt (local simulator/benchmarks only)"
        ),
        concurrency: int | None = typer.Option(None, "--concurrency", help="sources crawled at once"),
    ) -> None:
        """Crawl the catalog's sources through Prefect (crawl_all), with progress and a summary."""
        from rich.console import Console

        from govreports.settings import get_settings
        from scrapers.catalog import CatalogError, load_catalog

        console = Console()
        settings = get_settings(db=db, sources=sources)
        try:
            catalog = load_catalog(settings.sources)
            catalog.select(source or None, tag)
        except CatalogError as exc:
            console.print(f"[red]{exc.path}:[/]")
            for p in exc.problems:
                console.print(f"  - {p}")
            raise typer.Exit(2) from None
        except KeyError as exc:
            console.print(f"[red]{settings.sources}: unknown source key(s): {exc.args[0]}[/]")
            raise typer.Exit(2) from None
        _api(console)
        results, message = run_crawl(
            console, sources_file=str(settings.sources), db=settings.db, keys=source, tag=tag,
            politeness=not no_politeness, concurrency=concurrency,
        )
        console.print(summary_table(results))
        console.print(message)
        if any(r.state != "completed" for r in results):
            raise typer.Exit(1)

    @app.command("rerun-failed")
    def rerun_failed_cmd(
        since_days: float = typer.Option(7.0, "--since-days", help="runs started within this many days"),
        sources: Path | None = typer.Option(None, "--sources", help="source catalog"),
        db: str | None = typer.Option(None, "--db", help="database URL"),
    ) -> None:
        """Crawl again the sources whose latest run failed (or had failed fetches)."""
        from datetime import UTC, datetime, timedelta

        from rich.console import Console

        from govreports.settings import get_settings

        console = Console()
        settings = get_settings(db=db, sources=sources)
        _api(console)
        from flows.maintenance import rerun_failed

        state = _run_flow(
            rerun_failed(
                since=datetime.now(UTC) - timedelta(days=since_days), sources_file=str(settings.sources),
                db=settings.db, return_state=True,
            )
        )
        console.print(state.message or state.type.value)
        if state.is_failed():
            raise typer.Exit(1)

    @app.command("reparse")
    def reparse_cmd(
        source: str | None = typer.Option(None, "--source", help="only this source"),
        parser_version: str | None = typer.Option(
            None, "--parser-version", help="skip documents this parser version already parsed"
        ),
        db: str | None = typer.Option(None, "--db", help="database URL"),
    ) -> None:
        """Re-parse stored raw documents from the archive with the current parser (no network)."""
        from rich.console import Console

        from govreports.settings import get_settings

        console = Console()
        settings = get_settings(db=db)
        _api(console)
        from flows.maintenance import reparse

        state = _run_flow(
            reparse(source=source, parser_version=parser_version, db=settings.db, return_state=True)
        )
        console.print(state.message or state.type.value)

    @app.command("serve")
    def serve_cmd(
        sources: Path | None = typer.Option(None, "--sources", help="source catalog (one deployment per source)"),
        deployments: Path = typer.Option(Path("deployments.yaml"), "--deployments", help="deployment definitions"),
    ) -> None:
        """Serve every deployment (schedules included) from this one process (Prefect ``serve``)."""
        from rich.console import Console

        from govreports.settings import get_settings

        console = Console()
        settings = get_settings(sources=sources)
        _api(console)
        from flows.deployments import serve_all

        serve_all(deployments, settings.sources, console=console)

    @app.command("server-stop")
    def server_stop_cmd() -> None:
        """Stop the local Prefect server that govreports started in the background."""
        import flows  # noqa: F401
        from flows.prefect_server import stop_local_server

        typer.echo(stop_local_server())
