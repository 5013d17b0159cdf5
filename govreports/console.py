"""The one rich Console factory for the CLI.

Piped or logged output (``make demo > log``, CI) has no terminal to measure, and rich
then falls back to 80 columns, which cuts the summary tables' headers to "sour…".
Without a terminal (and without an explicit ``COLUMNS``) we print 120 wide instead.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

__all__ = ["make_console"]

PIPED_WIDTH = 120


def make_console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if "COLUMNS" in os.environ or stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPED_WIDTH)
