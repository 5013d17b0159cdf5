"""Documents, validators, catalog sync, run history, fetch log and the reparse listing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from storage_helpers import T0, dump_tables, make_item

from parsers.record import PARSER_VERSION
from storage import DocumentItem, FetchEntry, RunCounts, RunSummary, Store, UpsertCounts, Validators

URL = "http://127.0.0.1:8000/zwgk/zfxxgknb/00001.htm"


def _doc(store: Store) -> sa.Row:  # type: ignore[type-arg]
    with store.engine.connect() as c:
        return c.exec_driver_sql(
            "SELECT sha256, etag, first_seen, last_fetched, last_changed, http_status, last_error_kind FROM documents"
        ).one()


def test_documents_keep_first_seen_and_validators_through_304(store: Store) -> None:
    assert store.upsert_documents([DocumentItem("s", URL, T0, 200, sha256="a" * 64, etag='"v1"')]) == 1
    assert (
        store.upsert_documents([DocumentItem("s", URL, T0, 200, sha256="a" * 64, etag='"v1"')]) == 0
    )  # replay
    t1 = T0 + timedelta(days=1)
    store.upsert_documents([DocumentItem("s", URL, t1, 304)])
    row = _doc(store)
    assert row.sha256 == "a" * 64 and row.etag == '"v1"' and row.http_status == 304
    assert store.stored_sources(["s"], PARSER_VERSION)["s"].validators == {URL: Validators('"v1"', None, "a" * 64)}
    t2 = T0 + timedelta(days=2)
    store.upsert_documents([DocumentItem("s", URL, t2, 200, sha256="b" * 64)])
    row = _doc(store)
    assert row.sha256 == "b" * 64 and row.etag is None  # a new body brings its own validators
    t3 = T0 + timedelta(days=3)
    store.upsert_documents([DocumentItem("s", URL, t3, 503, error_kind="http", error_reason="HTTP 503")])
    row = _doc(store)
    assert row.sha256 == "b" * 64 and row.last_error_kind == "http"
    assert store.stored_sources(["s", "t"], PARSER_VERSION)["s"].validators == {URL: Validators(None, None, "b" * 64)}
    assert store.stored_sources(["s", "t"], PARSER_VERSION)["t"].validators == {}


def test_record_batch_is_one_transaction(store_url: str) -> None:
    store = Store(store_url)
    item = make_item(1)
    counts = store.record_batch(
        documents=[DocumentItem("dadukou", item.url, T0, 200, sha256=item.document_sha256)],
        reports=[item],
        fetches=[FetchEntry("run-1", "dadukou", item.url, T0, 200, 1234, 12.5)],
    )
    assert counts == UpsertCounts(new=1)
    before = dump_tables(store_url)
    again = store.record_batch(
        documents=[DocumentItem("dadukou", item.url, T0, 200, sha256=item.document_sha256)],
        reports=[item],
        fetches=[FetchEntry("run-1", "dadukou", item.url, T0, 200, 1234, 12.5)],
    )
    assert again == UpsertCounts(unchanged=1)
    assert dump_tables(store_url) == before
    store.close()


def _run(source: str, run_id: str, at: datetime, state: str = "RUNNING", counts: RunCounts | None = None,
         **kw: Any) -> RunSummary:
    return RunSummary(run_id=run_id, source_key=source, started_at=at, finished_at=None if state == "RUNNING" else at,
                      state=state, counts=counts or RunCounts(), **kw)


def test_runs_latest_and_failed(store: Store) -> None:
    store.start_runs([_run("a", "r1", T0)])
    store.finish_runs([_run("a", "r1", T0, "completed", RunCounts(discovered=5, fetched=5, new=5))])
    store.start_runs([_run("a", "r2", T0 + timedelta(hours=1)), _run("b", "r3", T0 + timedelta(hours=1))])
    store.start_runs([_run("a", "r2", T0 + timedelta(hours=2))])  # idempotent: keeps the first start
    store.finish_runs([
        _run("a", "r2", T0 + timedelta(hours=1), "Failed", RunCounts(discovered=5, failed=5)),
        _run("b", "r3", T0 + timedelta(hours=1), "COMPLETED", RunCounts(fetched=3, failed=1)),
        _run("c", "r4", T0, "CRASHED"),
        _run("d", "r5", T0 + timedelta(hours=1), "PARTIAL", error="2 reports not parsed"),
    ])
    latest = {r.source_key: r for r in store.latest_runs()}
    assert latest["a"].run_id == "r2" and latest["a"].state == "FAILED"
    assert latest["a"].started_at == T0 + timedelta(hours=1)
    assert latest["b"].counts.failed == 1
    assert latest["d"].error == "2 reports not parsed"
    assert store.failed_sources(T0 + timedelta(minutes=30)) == ["a", "b", "d"]
    assert store.failed_sources(T0) == ["a", "b", "c", "d"]


def test_a_retried_flow_run_adds_rows_and_reports_each_sources_latest_attempt(store: Store) -> None:
    """History is kept: attempt 2 of a flow run writes its own rows; the retry reads which
    sources the latest attempt left undone."""
    store.finish_runs([
        _run("a", "x1", T0, "COMPLETED", flow_run_id="f", attempt=1),
        _run("b", "x2", T0, "FAILED", flow_run_id="f", attempt=1, error="list page HTTP 503"),
        _run("c", "x3", T0, "PARTIAL", flow_run_id="f", attempt=1),
    ])
    store.finish_runs([
        _run("b", "y2", T0 + timedelta(hours=1), "COMPLETED", flow_run_id="f", attempt=2),
        _run("c", "y3", T0 + timedelta(hours=1), "PARTIAL", flow_run_id="f", attempt=2),
    ])
    got = store.flow_run_sources("f")
    assert {k: (r.attempt, r.state) for k, r in got.items()} == {
        "a": (1, "COMPLETED"), "b": (2, "COMPLETED"), "c": (2, "PARTIAL")
    }
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT COUNT(*) FROM crawl_runs WHERE flow_run_id = 'f'").scalar() == 5
    assert store.flow_run_sources("other") == {}


def test_running_rows_of_a_dead_crawl_are_abandoned(store: Store) -> None:
    store.start_runs([
        _run("a", "k1", T0, owner="dead"), _run("b", "k2", T0, owner="alive"),
    ])
    assert store.abandon_runs(lambda owner, started: owner == "dead", T0 + timedelta(hours=1)) == 1
    latest = {r.source_key: r for r in store.latest_runs()}
    assert latest["a"].state == "ABANDONED" and "killed" in (latest["a"].error or "")
    assert latest["b"].state == "RUNNING"
    assert store.failed_sources(T0) == ["a"]


def test_fetch_log_replay_is_a_noop(store: Store) -> None:
    entries = [
        FetchEntry("run", "s", f"http://127.0.0.1/{i}", T0 + timedelta(seconds=i), 200, 10, 1.0)
        for i in range(5)
    ]
    assert store.log_fetches(entries) == 5
    assert store.log_fetches(entries) == 0


@dataclass
class _CatalogSource:
    key: str
    name: str
    adapter: str
    start_urls: list[str]
    tags: list[str] = field(default_factory=list)


def test_sync_sources_marks_removed_entries(store: Store) -> None:
    a = _CatalogSource("a", "甲", "trs", ["http://127.0.0.1/a/"])
    b = _CatalogSource("b", "乙", "hanweb", ["http://127.0.0.1/b/"])
    store.sync_sources([a, b], now=T0)
    store.sync_sources([a], now=T0 + timedelta(days=1))
    with store.engine.connect() as c:
        rows = {r.key: r for r in c.exec_driver_sql("SELECT key, in_catalog, updated_at FROM sources")}
    assert rows["a"].in_catalog and not rows["b"].in_catalog


def test_reparse_listing_by_parser_version(store: Store) -> None:
    item = make_item(1)
    store.upsert_documents(
        [
            DocumentItem("dadukou", item.url, T0, 200, sha256=item.document_sha256, archive_path="ab/cd"),
            DocumentItem("dadukou", "http://127.0.0.1:8000/list.htm", T0, 200, sha256="c" * 64, kind="list"),
            DocumentItem("dadukou", "http://127.0.0.1:8000/broken.pdf", T0, 200, sha256="d" * 64),
        ]
    )
    store.upsert_reports([item])
    all_docs = {d.url: d for d in store.iter_documents_for_reparse()}
    assert set(all_docs) == {item.url, "http://127.0.0.1:8000/broken.pdf"}
    assert all_docs[item.url].report_parser_version == PARSER_VERSION and all_docs[item.url].archive_path == "ab/cd"
    assert [d.url for d in store.iter_documents_for_reparse(parser_version=PARSER_VERSION)] == [
        "http://127.0.0.1:8000/broken.pdf"
    ]
    assert len(list(store.iter_documents_for_reparse(source="dadukou", parser_version="older", page=1))) == 2
    assert list(store.iter_documents_for_reparse(source="elsewhere")) == []


def test_done_reports_need_the_reports_own_bytes(store: Store) -> None:
    """What a recrawl may skip: reports parsed by this parser from bytes still stored. A page
    whose stored bytes moved on (a run that died between fetch and upsert) is not done."""
    done, moved, other = make_item(1), make_item(2), make_item(3, source="elsewhere")
    store.upsert_documents(
        [
            DocumentItem("dadukou", done.url, T0, 200, sha256=done.document_sha256),
            DocumentItem("dadukou", moved.url, T0, 200, sha256="e" * 64),  # new bytes, report not yet redone
            DocumentItem("elsewhere", other.url, T0, 200, sha256=other.document_sha256),
        ]
    )
    store.upsert_reports([done, moved, other])
    assert store.stored_sources(["dadukou", "elsewhere"], PARSER_VERSION)["dadukou"].done == {done.url}
    assert store.stored_sources(["dadukou"], "older")["dadukou"].done == set()
    assert store.stored_sources(["dadukou", "elsewhere"], PARSER_VERSION)["elsewhere"].done == {other.url}


def test_checks_name_stored_reports_whose_last_fetch_succeeded(store: Store) -> None:
    """The revisit schedule's input: a failed last fetch, an attachment, or a page with no
    stored report is left out (always due). A 304, or new page bytes with the same report
    (a visit counter in the chrome), moves the check time, not the change time."""
    from storage import CheckTimes

    ok, failed, volatile = (make_item(i, source="s") for i in (1, 2, 3))
    assert ok.url == URL
    store.upsert_reports([ok, failed, volatile])
    store.upsert_documents([
        DocumentItem("s", ok.url, T0, 200, sha256="a" * 64, kind="report"),
        DocumentItem("s", failed.url, T0, 200, sha256="b" * 64, kind="report"),
        DocumentItem("s", volatile.url, T0, 200, sha256="c" * 64, kind="report"),
        DocumentItem("s", URL + ".pdf", T0, 200, sha256="d" * 64, kind="attachment"),
        DocumentItem("s", URL + "?n", T0, 200, sha256="e" * 64, kind="report"),
    ])
    t1 = T0 + timedelta(days=2)
    store.upsert_documents([
        DocumentItem("s", ok.url, t1, 304, kind="report"),
        DocumentItem("s", failed.url, t1, 500, kind="report", error_kind="http", error_reason="HTTP 500"),
        DocumentItem("s", volatile.url, t1, 200, sha256="f" * 64, kind="report"),
    ])
    store.upsert_reports([volatile])  # the same record from the new bytes
    assert store.stored_sources(["s", "other"], PARSER_VERSION)["s"].checks == {
        ok.url: CheckTimes(last_fetched=t1, last_changed=ok.fetched_at),
        volatile.url: CheckTimes(last_fetched=t1, last_changed=volatile.fetched_at),
    }
    assert store.stored_sources(["s", "other"], PARSER_VERSION)["other"].checks == {}
