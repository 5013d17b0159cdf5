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
    import flows  # pins no-phone-home settings before Prefect loads

    # the run logs still go to the Prefect API (UI) at INFO; the terminal shows progress instead
    flows.logs_to_api_only()

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
    """Per source: reports found, parsed, failed checks, and failures with reasons below the table."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    cols = ("source", "state", "found", "new", "changed", "unchanged", "not due", "parsed", "not fetched",
            "not parsed", "failed checks")
    for col in cols:
        table.add_column(col, justify="left" if col in ("source", "state") else "right")
    notes: list[Text] = []
    for r in sorted(results, key=lambda r: r.source_key):
        table.add_row(
            r.source_key,
            {"completed": "[green]ok[/]", "partial": "[yellow]partial[/]"}.get(r.state, "[red]failed[/]"),
            str(r.discovered), str(r.new), str(r.changed), str(r.unchanged), str(r.not_due), str(r.parsed),
            str(r.failed + r.blocked), str(r.parse_failed), str(r.checks_failed),
        )
        if r.state == "failed":
            notes.append(Text(f"  {r.source_key}: source failed: {r.error}", style="red"))
        for f in r.failures[:5]:
            notes.append(Text(f"  {r.source_key}: {f.stage}: {f.reason}  ({f.url})"))
        more = r.failed + r.blocked + r.parse_failed - min(5, len(r.failures))
        if more > 0 and r.failures:
            notes.append(Text(f"  {r.source_key}: … {more} more in the fetch_log table"))
    if not notes:
        return table
    return Group(table, Text("failures with reasons:", style="bold"), *notes)


def run_crawl(
    console: Console,
    *,
    sources_file: str,
    db: str,
    keys: list[str] | None = None,
    tag: str | None = None,
    politeness: bool = True,
    revalidate: bool = False,
) -> tuple[list[SourceResult], str]:
    """Run ``crawl_all`` through Prefect, as a run of its on-demand deployment (so the UI
    can retry it), with live progress: a bar per source for a small catalog, one bar of
    sources for a wide one."""
    from flows.crawl import absolute, crawl_all, progress_hook, run_deployed

    finished: list[SourceResult] = []
    progress, on_progress = _progress(console, finished)
    token = progress_hook.set(on_progress)
    params = {"sources": keys or None, "tag": tag, "sources_file": absolute(sources_file), "db": db,
              "politeness": politeness, "revalidate": revalidate}
    try:
        with progress:
            state = _run_flow(run_deployed(crawl_all, params))
    finally:
        progress_hook.reset(token)
    return finished, str(state.message or state.type.value)


#: up to this many sources, a progress bar each; above, one bar counting sources
BARS_PER_SOURCE = 30


def _progress(console: Console, finished: list[SourceResult]) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    seen: set[str] = set()
    state = {"failed": 0}

    def one_bar(key: str, event: str, payload: Any) -> None:
        seen.add(key)
        if len(seen) > BARS_PER_SOURCE:
            return
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
            note = {"completed": "[green]done[/]", "partial": "[yellow]partly failed[/]"}.get(payload.state, "[red]failed[/]")
            progress.update(bar, total=payload.discovered or 1, completed=payload.discovered or 1, note=note)

    def on_progress(key: str, event: str, payload: Any) -> None:
        if event == "finished":
            finished.append(payload)
            state["failed"] += payload.state != "completed"
        if len(seen) < BARS_PER_SOURCE or key in bars:
            one_bar(key, event, payload)
            return
        seen.add(key)
        if "all" not in bars:  # a wide catalog: one bar of sources, failures counted
            bars["all"] = progress.add_task("sources", total=None, note="")
        if event == "finished":
            progress.update(bars["all"], advance=1, note=f"{state['failed']} failed or partly failed")

    return progress, on_progress


#: the demo's example queries: (title, SQL). Plain SQL over the stored tables, as a user would write it.
DEMO_QUERIES: list[tuple[str, str]] = [
    (
        "reports per year",
        "SELECT year, COUNT(*) AS reports, COUNT(DISTINCT source_key) AS sources FROM reports "
        "GROUP BY year ORDER BY year",
    ),
    (
        "applications by outcome (all reports, 2019/2021 tables)",
        "SELECT s.key AS outcome, CAST(SUM(s.value) AS INTEGER) AS applications FROM report_stats s "
        "WHERE s.key IN ('requests.table.granted.total', 'requests.table.partially_granted.total', "
        "'requests.table.unable.not_held.total', 'requests.table.not_processed.repeated.total', "
        "'requests.table.total.total', 'requests.table.carried_forward.total') "
        "GROUP BY s.key ORDER BY applications DESC",
    ),
    (
        "reports whose arithmetic does not balance",
        "SELECT r.source_key AS source, r.year, substr(r.title, 1, 30) AS title, "
        "group_concat(c.rule, ', ') AS failed_checks FROM reports r JOIN report_checks c ON c.report_id = r.id "
        "WHERE NOT c.ok GROUP BY r.id ORDER BY r.source_key, r.year LIMIT 10",
    ),
]


def print_queries(console: Console, db: str) -> None:
    """Run the demo queries read-only and print each with its SQL and result."""
    from rich.table import Table
    from rich.text import Text

    from storage.query import readonly_sql

    for title, sql in DEMO_QUERIES:
        if not db.startswith("sqlite"):
            sql = sql.replace("group_concat(c.rule, ', ')", "string_agg(c.rule, ', ')").replace("substr(", "substring(")
        result = readonly_sql(db, sql)
        table = Table(title=title, title_justify="left")
        for col in result.columns:
            table.add_column(col)
        for row in result.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print()
        console.print(Text(sql, style="dim"))  # the query at full width, not wrapped to the table's
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        db: str | None = typer.Option(None, "--db", help="database URL (default data/govreports.db)"),
        port: int = typer.Option(0, "--port", help="simulator port (0: any free port)"),
    ) -> None:
        """Crawl a local simulated web (every CMS family, GBK/UTF-8, HTML/PDF/DOCX, a few faults)
        through Prefect, then show the summary and three example queries. Run it twice: the
        second run finds everything unchanged."""
        from govreports.console import make_console
        from govreports.settings import get_settings
        from portalsim import Simulator

        console = make_console()
        started = time.perf_counter()
        settings = get_settings(db=db)
        Path("data").mkdir(exist_ok=True)
        catalog = Path("data") / "demo-sources.yaml"
        sim = Simulator.demo()
        # a fixed port keeps report URLs (the natural keys) stable between demo runs
        with sim.running_in_thread(port=port or 18480) as bound:
            catalog.write_text(sim.catalog_yaml(bound), encoding="utf-8")
            console.print(
                f"[bold]demo:[/] {sim.n_sites} simulated portals on 127.0.0.2-{sim.n_sites + 1}:{bound}, "
                f"catalog {catalog}, database {settings.db}"
            )
            _api(console)
            results, message = run_crawl(
                console, sources_file=str(catalog), db=settings.db, politeness=True
            )
        console.print(summary_table(results, title="demo crawl"))
        console.print(message)
        if not results:  # the crawl itself did not run: there is nothing to query
            console.print(f"[bold red]demo failed[/]: the crawl produced no source results ({message})")
            raise typer.Exit(1)
        print_queries(console, settings.db)
        rows = sum(r.rows_written for r in results)
        verdict = "everything unchanged, nothing written" if rows == 0 else f"{rows} report rows written"
        if not_due := sum(r.not_due for r in results):
            verdict += (f" ({not_due} stored reports checked recently were not asked about again;"
                        " `govreports crawl --revalidate` asks about all)")
        console.print(f"[bold]demo finished in {time.perf_counter() - started:.1f} s[/]: {verdict}")

    @app.command("crawl")
    def crawl_cmd(
        sources: Path | None = typer.Option(None, "--sources", help="source catalog (default: sources.yaml)"),
        source: list[str] = typer.Option([], "--source", help="only this source key (repeatable)"),
        tag: str | None = typer.Option(None, "--tag", help="only sources with this tag"),
        db: str | None = typer.Option(None, "--db", help="database URL"),
        no_politeness: bool = typer.Option(
            False, "--no-politeness", help="no rate limits or robots.txt (local simulator/benchmarks only)"
        ),
        revalidate: bool = typer.Option(
            False, "--revalidate",
            help="ask about every stored report now (conditional GETs), not only those the revisit schedule says are due",
        ),
    ) -> None:
        """Crawl the catalog's sources through Prefect (crawl_all), with progress and a summary.

        Every list page is walked, so new reports are always found. A stored report is asked
        about again once it has gone unchecked for half as long as it has been stable (6 hours
        to 30 days); ``--revalidate`` asks about all of them now."""
        from govreports.console import make_console
        from govreports.settings import get_settings
        from scrapers.catalog import CatalogError, load_catalog

        console = make_console()
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
            politeness=not no_politeness, revalidate=revalidate,
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

        from govreports.console import make_console
        from govreports.settings import get_settings

        console = make_console()
        settings = get_settings(db=db, sources=sources)
        _api(console)
        from flows.crawl import absolute, run_deployed
        from flows.maintenance import rerun_failed

        state = _run_flow(run_deployed(rerun_failed, {
            "since": datetime.now(UTC) - timedelta(days=since_days), "sources_file": absolute(settings.sources),
            "db": settings.db,
        }))
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

        from govreports.console import make_console
        from govreports.settings import get_settings

        console = make_console()
        settings = get_settings(db=db)
        _api(console)
        from flows.crawl import run_deployed
        from flows.maintenance import reparse

        state = _run_flow(run_deployed(reparse, {"source": source, "parser_version": parser_version, "db": settings.db}))
        console.print(state.message or state.type.value)

    @app.command("serve")
    def serve_cmd(
        sources: Path | None = typer.Option(None, "--sources", help="source catalog (one deployment per source)"),
        deployments: Path = typer.Option(Path("deployments.yaml"), "--deployments", help="deployment definitions"),
    ) -> None:
        """Serve every deployment (schedules included) from this one process (Prefect ``serve``)."""
        from govreports.console import make_console
        from govreports.settings import get_settings

        console = make_console()
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
