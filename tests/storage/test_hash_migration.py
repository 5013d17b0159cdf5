"""Migration 0002 (content_hash scheme 2): stored hashes move with the definition, both ways.

If they did not, the first crawl after an upgrade would see every stored report
as revised and write a version of each.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import command
from storage_helpers import make_item

from parsers.record import ExtractedDoc
from parsers.report import build_record
from storage import Store, UpsertCounts
from storage.migrate import MIGRATIONS_DIR, alembic_config, current_revision, head_revision
from storage.rows import content_hash, record_dict

CORPUS_TEXT = Path(__file__).resolve().parents[2] / "corpus" / "text"


def _migration() -> ModuleType:
    path = MIGRATIONS_DIR / "versions" / "0002_content_hash_v2.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hashes(store: Store) -> dict[str, list[str]]:
    with store.engine.connect() as conn:
        return {
            t: [r[0] for r in conn.exec_driver_sql(f"SELECT content_hash FROM {t} ORDER BY id")]
            for t in ("reports", "report_versions")
        }


def test_frozen_scheme_2_is_the_live_content_hash() -> None:
    m = _migration()
    for path in sorted(CORPUS_TEXT.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        record = build_record(ExtractedDoc(kind="text", text=text))
        assert m._hash_v2(record_dict(record), text) == content_hash(record, text), path.name
        assert m._hash_v1(record_dict(record), text) != content_hash(record, text)


def test_downgrade_and_upgrade_rehash_reports_and_versions(store_url: str) -> None:
    items = [make_item(i) for i in range(4)]
    with Store(store_url) as store:
        store.upsert_reports(items)
        store.upsert_reports([make_item(1, seed=50)])  # one revised report: a version row
        current = _hashes(store)
        assert len(current["report_versions"]) == 1
        expected = [content_hash(i.record, i.text) for i in (items[0], make_item(1, seed=50), *items[2:])]
        assert current["reports"] == expected

        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        scheme_1 = _hashes(store)
        # every hash changed, reports and versions alike
        for table, hashes in current.items():
            assert all(a != b for a, b in zip(hashes, scheme_1[table], strict=True)), table

    with Store(store_url) as store:  # opening upgrades the database again
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        assert _hashes(store) == current
        writes: list[str] = []
        sa.event.listen(store.engine, "begin", lambda conn: writes.append("begin"))
        # the stored reports are unchanged under the new scheme: nothing written, not even a lock
        assert store.upsert_reports([items[0], make_item(1, seed=50), *items[2:]]) == UpsertCounts(
            unchanged=4
        )
        assert writes == ["begin"]  # the one read transaction of the cheap comparison
