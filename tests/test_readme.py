"""The README is the user's manual: every command the CLI offers must be in it."""

from __future__ import annotations

from pathlib import Path

import typer

from govreports.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_cli_command_is_documented() -> None:
    root = typer.main.get_command(app)
    names = sorted(root.commands)  # type: ignore[attr-defined]
    assert names, "the CLI registered no commands"
    missing = [n for n in names if f"`govreports {n}" not in README and f"`{n}`" not in README]
    # commands listed together in one cell ("reports`, `show`, …") count as documented
    missing = [n for n in missing if f"`{n}`," not in README and f", `{n}`" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_shows_both_setup_commands() -> None:
    assert "$ make demo" in README and "$ make test" in README
