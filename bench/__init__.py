"""Benchmarks: ``python -m bench`` runs every ``bench/<name>.py`` that exposes
``run(quick: bool = False) -> list[dict]`` (rows ``{"name", "value", "unit", "note"}``)."""
