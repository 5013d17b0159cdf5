"""Report upserts: new / unchanged / changed, exact round trip, versions, idempotence."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from storage_helpers import T0, dump_tables, make_item

from storage import ReportItem, StorageError, Store, UpsertCounts
from storage.load import load_reports


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def test_new_then_unchanged_then_changed(store: Store) -> None:
    items = [make_item(i) for i in range(5)]
    assert store.upsert_reports(items) == UpsertCounts(new=5)
    assert store.upsert_reports(items) == UpsertCounts(unchanged=5)
    revised = make_item(2, seed=1000)
    assert store.upsert_reports([*items[:2], revised]) == UpsertCounts(changed=1, unchanged=2)
    assert _count(store, "reports") == 5
    assert _count(store, "report_versions") == 1


def test_record_round_trips_exactly(store: Store) -> None:
    item = make_item(3)
    item.record.stats["fees.total_yuan"] = 0
    item.record.stats["art20.procurement.amount_wan"] = 3.0  # a float that happens to be whole stays a float
    store.upsert_reports([item])
    with store.engine.connect() as conn:
        (loaded,) = load_reports(conn, [1]).values()
    assert loaded.record.to_dict() == item.record.to_dict()
    assert json.dumps(loaded.record.to_dict(), ensure_ascii=False) == json.dumps(
        item.record.to_dict(), ensure_ascii=False
    )
    assert loaded.row["text"] == item.text


def test_changed_report_keeps_previous_record(store: Store) -> None:
    old = make_item(1)
    store.upsert_reports([old])
    new = make_item(1, seed=7)
    assert store.upsert_reports([new]).changed == 1
    with store.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT record, text, reason, replaced_at FROM report_versions").one()
        (current,) = load_reports(conn, [1]).values()
    assert json.loads(version.record) == old.record.to_dict()
    assert version.text == old.text
    assert "stats" in version.reason
    assert current.record.to_dict() == new.record.to_dict()
    # children were replaced, not appended
    assert _count(store, "report_stats") == len(new.record.stats)
    assert _count(store, "report_checks") == len(new.record.checks)


def test_unchanged_reupsert_writes_nothing(store: Store) -> None:
    items = [make_item(i) for i in range(20)]
    store.upsert_reports(items)
    statements: list[str] = []

    def _seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    sa.event.listen(store.engine, "before_cursor_execute", _seen)
    try:
        assert store.upsert_reports(items) == UpsertCounts(unchanged=20)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", _seen)
    assert statements, "the re-upsert should at least read the hashes"
    assert set(statements) <= {"SELECT", "BEGIN"}, statements


def test_same_upserts_twice_leave_identical_database(store_url: str) -> None:
    """A crawl (here: a history with one revision, then the current crawl) replayed changes nothing."""
    store = Store(store_url)
    store.upsert_reports([make_item(i) for i in range(6)])
    crawl = [[make_item(i) for i in range(4)], [make_item(4, seed=5), make_item(5), make_item(9)]]
    for batch in crawl:
        store.upsert_reports(batch)
    first = dump_tables(store_url)
    assert len(first["report_versions"]) == 1
    for batch in crawl:
        store.upsert_reports(batch)
    assert dump_tables(store_url) == first
    store.close()


def test_parser_version_change_refreshes_metadata_only(store: Store) -> None:
    item = make_item(1)
    store.upsert_reports([item])
    again = make_item(1, parser_version=item.parser_version + ".next")
    assert store.upsert_reports([again]) == UpsertCounts(refreshed=1)
    assert _count(store, "report_versions") == 0
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT parser_version FROM reports").scalar_one() == again.parser_version


def test_duplicate_keys_in_a_batch_last_wins(store: Store) -> None:
    a, b = make_item(1), make_item(1, seed=3)
    assert store.upsert_reports([a, b]) == UpsertCounts(new=1)
    with store.engine.connect() as conn:
        (loaded,) = load_reports(conn, [1]).values()
    assert loaded.record.to_dict() == b.record.to_dict()


def test_invalid_item_names_url_and_writes_nothing(store_url: str) -> None:
    store = Store(store_url)
    bad = make_item(2)
    bad.record.stats["requests.received"] = "十"  # type: ignore[assignment]
    before = dump_tables(store_url)
    with pytest.raises(StorageError, match=r"00002\.htm.*stats\['requests\.received'\] must be a number"):
        store.upsert_reports([make_item(1), bad])
    assert dump_tables(store_url) == before
    store.close()


def test_failure_mid_batch_leaves_nothing_half_written(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report rows are written before their children: crash between the two, expect a full rollback."""
    store = Store(store_url)
    store.upsert_reports([make_item(0)])
    before = dump_tables(store_url)

    def crash(self: Store, conn: object, children: object) -> None:
        raise sa.exc.OperationalError("INSERT INTO report_stats", {}, Exception("disk I/O error (simulated)"))

    monkeypatch.setattr(Store, "_insert_children", crash)
    with pytest.raises(StorageError, match="nothing of it was written"):
        store.upsert_reports([make_item(0, seed=9), make_item(1), make_item(2)])
    assert dump_tables(store_url) == before
    store.close()


def test_document_sha_and_url_on_report(store: Store) -> None:
    item = make_item(4, document_url="http://127.0.0.1:8000/P020240101.pdf")
    counts = store.upsert_reports([item])
    assert counts.outcomes == {(item.source_key, item.url): "new"}
    with store.engine.connect() as c:
        row = c.exec_driver_sql("SELECT document_sha256, document_url FROM reports").one()
    assert tuple(row) == (item.document_sha256, item.document_url)


def test_report_item_is_plain_data() -> None:
    item = make_item(0)
    assert isinstance(item, ReportItem)
    assert item.fetched_at > T0.replace(year=2000)


def test_bulk_written_timestamps_are_stored_as_sqlalchemy_stores_them(store: Store) -> None:
    """The reports rows go through the driver directly; their timestamps must match Core-written ones.

    On SQLite a timestamp is text, so a different format (``isoformat``, an
    offset suffix) would still read back but sort and compare wrongly in SQL.
    """
    from storage import DocumentItem

    item = make_item(4, fetched_at=T0)
    doc = DocumentItem(
        source_key=item.source_key,
        url=item.url,
        fetched_at=item.fetched_at,
        status=200,
        final_url=item.url,
        content_type="text/html",
        sha256=item.document_sha256,
        archive_path=None,
        etag=None,
        last_modified=None,
        kind="report",
        error_kind=None,
        error_reason=None,
    )
    store.record_batch(documents=[doc], reports=[item])  # documents: SQLAlchemy Core
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT r.fetched_at, d.last_fetched, r.fetched_at = d.last_fetched, r.first_seen = d.first_seen "
            "FROM reports r JOIN documents d ON d.url = r.url"
        ).one()
    assert row[2] and row[3], row
    if store.dialect == "sqlite":
        assert isinstance(row[0], str) and row[0] == row[1]
