"""What a crawl reports back: per-source counts, failures with reasons, stage timings.

Plain dataclasses shared by the pipeline, the Prefect flows (artifacts, final state),
the CLI (progress and summary table) and the benchmark (ms per stage).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["STAGES", "CrawlSummary", "Failure", "SourceResult"]

#: Stages timed per report: network, bytes→text, text→record, database.
STAGES = ("discover", "fetch", "extract", "parse", "upsert")


@dataclass(slots=True)
class Failure:
    url: str
    stage: str
    reason: str


@dataclass(slots=True)
class SourceResult:
    """One source's crawl. ``state``: ``completed``; ``partial`` (some reports could not be
    fetched or parsed: ``failures`` says which and why); ``failed`` (the whole source, ``error``)."""

    source_key: str
    run_id: str = ""
    state: str = "completed"
    discovered: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    #: stored reports not fetched: checked recently and stable (``scrapers.revisit``)
    not_due: int = 0
    failed: int = 0
    blocked: int = 0
    parsed: int = 0
    parse_failed: int = 0
    #: reports with at least one failed arithmetic check (kept, never corrected)
    checks_failed: int = 0
    #: report rows written (new + changed + refreshed); 0 on an unchanged recrawl
    rows_written: int = 0
    #: raw documents reparsed from the archive instead of refetched (resume, reparse)
    from_archive: int = 0
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    #: CPU/wall seconds summed per stage (see ``STAGES``)
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def add_failure(self, url: str, stage: str, reason: str, *, keep: int = 200) -> None:
        """Record a failure; only the first ``keep`` are kept (a dead site must not fill memory)."""
        if len(self.failures) < keep:
            self.failures.append(Failure(url, stage, reason))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_run(cls, run: Any) -> SourceResult:
        """A result as a ``crawl_runs`` row (``storage.RunSummary``) recorded it: the sources a
        retried run keeps from an earlier attempt."""
        c = run.counts
        return cls(source_key=run.source_key, run_id=run.run_id, state=run.state.lower(), discovered=c.discovered,
                   new=c.new, changed=c.changed, unchanged=c.unchanged, not_due=c.not_due, failed=c.failed,
                   blocked=c.blocked, error=run.error)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceResult:
        data = dict(data)
        data["failures"] = [Failure(**f) for f in data.get("failures", [])]
        return cls(**data)


@dataclass(slots=True)
class CrawlSummary:
    sources: list[SourceResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed_sources(self) -> list[SourceResult]:
        return [s for s in self.sources if s.state != "completed"]

    def totals(self) -> dict[str, int]:
        keys = ("discovered", "new", "changed", "unchanged", "not_due", "failed", "blocked", "parsed", "parse_failed",
                "checks_failed", "rows_written", "from_archive")
        return {k: sum(getattr(s, k) for s in self.sources) for k in keys}

    def stage_seconds(self) -> dict[str, float]:
        out = dict.fromkeys(STAGES, 0.0)
        for s in self.sources:
            for k, v in s.stage_seconds.items():
                out[k] = out.get(k, 0.0) + v
        return out

    def message(self) -> str:
        n = len(self.sources)
        bad = len(self.failed_sources)
        t = self.totals()
        partial = sum(1 for s in self.sources if s.state == "partial")
        head = f"all {n} sources completed"
        if bad:
            head = f"{bad - partial} of {n} sources failed, {partial} partly failed" if partial else f"{bad} of {n} sources failed"
        text = (
            f"{head}: {t['discovered']} reports found, {t['new']} new, {t['changed']} changed, "
            f"{t['unchanged']} unchanged, {t['not_due']} not due a check, "
            f"{t['failed'] + t['blocked']} not fetched, {t['parse_failed']} not parsed"
        )
        failed = self.failed_sources
        if failed:  # the first reason, where the UI shows the run's state message
            text += f"; first: {failed[0].source_key}: {(failed[0].error or '')[:200]}"
        return text
