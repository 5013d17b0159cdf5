"""The ``govreports`` console command: one thin layer over the library.

Each area registers its commands from ``govreports/commands/<area>.py`` (a
``register(app)`` function). Command modules import their heavy dependencies
(Prefect, trafilatura, SQLAlchemy…) inside the command bodies so that
``govreports --help`` and start-up stay fast.
"""

from __future__ import annotations

import importlib
import json

import typer

from govreports.settings import get_settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="govreports",
    help="Crawl government portals for 政府信息公开工作年度报告, parse them into checked records, query the result.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@app.callback()
def _root() -> None:
    """govreports: crawl, parse, store and query government information disclosure annual reports."""


#: command modules under govreports.commands, in the order --help lists them
COMMAND_MODULES: list[str] = ["parse", "ingest", "sim", "db", "panel", "sources", "crawl"]


@app.command("config")
def config_cmd(db: str | None = typer.Option(None, "--db", help="database URL")) -> None:
    """Print the effective settings (defaults, then GOVREPORTS_* environment, then flags)."""
    settings = get_settings(db=db)
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))


for _name in COMMAND_MODULES:
    importlib.import_module(f"govreports.commands.{_name}").register(app)


def main() -> None:
    app()
