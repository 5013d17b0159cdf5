"""``govreports sim``: run the local portal simulator, or print its catalog.

``sim serve`` is how demos, crawl tests and benchmarks get a web to crawl
without touching real portals; ``sim catalog`` writes a sources file for it.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

sim_app = typer.Typer(help="The local government-portal simulator (loopback only).", no_args_is_help=True)

_SITES = typer.Option(4, "--sites", min=1, max=64000, help="number of simulated hosts (one loopback address each)")
_COLUMNS = typer.Option(
    1, "--columns", min=1, help="report columns per host (/bm1/ … /bmC/), each its own catalog source; 1 = at the root"
)
_REPORTS = typer.Option(20, "--reports-per-site", min=0, help="annual reports per site")
_SEED = typer.Option(0, "--seed", help="seed: same seed, same web")
_FAULTS = typer.Option(None, "--faults", help="per-site faults, e.g. 'site3=http500:0.3,slow:2;site5=antibot'")
_PRESET = typer.Option(None, "--preset", help="a ready-made web: 'demo' (6 sites, every family, mild faults)")


def _build(sites: int, reports: int, seed: int, faults: str | None, preset: str | None,  # type: ignore[no-untyped-def]
           columns: int = 1):
    from portalsim import FaultError, Simulator

    try:
        if preset == "demo":
            return Simulator.demo(seed=seed or 2024)
        if preset:
            raise typer.BadParameter(f"unknown preset {preset!r} (known: demo)", param_hint="--preset")
        return Simulator(sites=sites, reports_per_site=reports, seed=seed, faults=faults, columns=columns)
    except (FaultError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from None


@sim_app.command("serve")
def serve_cmd(
    sites: int = _SITES,
    columns: int = _COLUMNS,
    reports_per_site: int = _REPORTS,
    seed: int = _SEED,
    port: int = typer.Option(8900, "--port", help="port shared by every simulated host (0 = any free port)"),
    faults: str | None = _FAULTS,
    preset: str | None = _PRESET,
    catalog: Path = typer.Option(Path("data/sim/catalog.yaml"), "--catalog", help="where to write the sources catalog"),
    prerender: bool = typer.Option(
        False, "--prerender", help="render every page and PDF/DOCX up front (all cores) before serving: benchmarks"
    ),
) -> None:
    """Serve simulated portals on 127.0.0.2… until SIGINT/SIGTERM; write a catalog for them."""
    sim = _build(sites, reports_per_site, seed, faults, preset, columns)
    if prerender:
        stats = sim.prerender()
        typer.echo(
            f"prerendered {stats.resources} URLs ({stats.bytes / 1e6:.1f} MB) in {stats.seconds:.1f} s "
            f"with {stats.workers} processes"
        )

    def ready(bound: int) -> None:
        catalog.parent.mkdir(parents=True, exist_ok=True)
        catalog.write_text(sim.catalog_yaml(bound), encoding="utf-8")
        shape = f" × {sim.n_columns} columns" if sim.n_columns > 1 else ""
        typer.echo(f"portalsim: {sim.n_sites} sites{shape}, seed {sim.seed}, index {sim.index_url(bound)}/")
        for s in sim.sites():
            extra = f" faults={s.faults.describe()}" if s.faults else ""
            typer.echo(f"  {s.key:8} {s.family:8} {s.encoding:9} {sim.base_url(s.index, bound)}{s.start_path()}{extra}")
        typer.echo(f"catalog: {catalog}")
        typer.echo(f"truth:   {sim.index_url(bound)}/_sim/truth.json")
        typer.echo("serving until Ctrl-C", err=False)

    try:
        sim.serve_forever(port, ready)
    except OSError as exc:
        typer.echo(f"error: cannot bind port {port} on 127.0.0.x: {exc}", err=True)
        raise typer.Exit(1) from None


@sim_app.command("catalog")
def catalog_cmd(
    port: int = typer.Option(..., "--port", help="the port `sim serve` listens on"),
    sites: int = _SITES,
    columns: int = _COLUMNS,
    reports_per_site: int = _REPORTS,
    seed: int = _SEED,
    faults: str | None = _FAULTS,
    preset: str | None = _PRESET,
    rate: float | None = typer.Option(
        None, "--rate", min=0, help="politeness rate written for every source (requests/s per host; default 50)"
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="politeness connections per host written"),
) -> None:
    """Print the sources catalog (YAML) for a simulator started with the same options."""
    sim = _build(sites, reports_per_site, seed, faults, preset, columns)
    typer.echo(sim.catalog_yaml(port, rate=rate, concurrency=concurrency), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
