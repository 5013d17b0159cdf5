"""``govreports sources check|list``: validate and show a source catalog."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    sources = typer.Typer(help="The source catalog (sources.yaml): validate and list portals.", no_args_is_help=True)

    @sources.command("check")
    def check(
        file: Path | None = typer.Option(None, "--sources", help="catalog file (default: settings.sources)"),
    ) -> None:
        """Validate a catalog; print every problem with its place and exit 1 if there are any."""
        from govreports.settings import get_settings
        from scrapers.catalog import CatalogError, load_catalog

        path = file or get_settings().sources
        try:
            cat = load_catalog(path)
        except CatalogError as exc:
            for problem in exc.problems:
                typer.echo(f"{exc.path}: {problem}", err=True)
            typer.echo(f"{exc.path}: {len(exc.problems)} problem(s)", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{path}: OK, {len(cat.sources)} sources")

    @sources.command("list")
    def list_(
        file: Path | None = typer.Option(None, "--sources", help="catalog file (default: settings.sources)"),
        tag: str | None = typer.Option(None, "--tag", help="only sources with this tag"),
    ) -> None:
        """One line per source: key, adapter, rate, start URL, name."""
        from govreports.settings import get_settings
        from scrapers.catalog import CatalogError, load_catalog

        settings = get_settings()
        path = file or settings.sources
        try:
            cat = load_catalog(path)
        except CatalogError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        for s in cat.select(tag=tag):
            rate = s.politeness.rate if s.politeness.rate is not None else settings.rate
            typer.echo(f"{s.key}\t{s.adapter}\t{rate:g}/s\t{s.start_urls[0]}\t{s.name}")

    app.add_typer(sources, name="sources")
