"""Agencies across years, the panel view, cross-year checks and gaps, on SQLite and PostgreSQL.

Records are built with ``Record(...)`` directly, with the stats keys of the spec,
and stored through ``Store.upsert_reports``: the one place identity is assigned.
"""

from __future__ import annotations

import sqlalchemy as sa
from storage_helpers import COLS, panel_item, table

from scrapers.catalog import Source
from storage import Store
from storage.migrate import alembic_config
from storage.panel import agencies, cross_year_failures, gaps, panel_rows


def _ids(store: Store) -> dict[str, int | None]:
    with store.engine.connect() as conn:
        return {u: a for u, a in conn.execute(sa.text("SELECT url, agency_id FROM reports"))}


def test_name_variants_share_one_agency_and_neighbours_stay_apart(store: Store) -> None:
    store.upsert_reports(
        [
            panel_item("淮安市洪泽区人民政府", 2022, {}, url="u/hz2022"),
            panel_item("洪泽区人民政府", 2023, {}, url="u/hz2023"),
            panel_item("平潭综合实验区管委会", 2022, {}, url="u/zone2022"),
            panel_item("平潭综合实验区", 2023, {}, url="u/zone2023"),
            panel_item("平潭县人民政府", 2013, {}, url="u/county2013"),
            panel_item("国家税务总局淮安市洪泽区税务局", 2023, {}, url="u/tax2023"),
            panel_item(None, 2023, {}, url="u/none"),
        ]
    )
    ids = _ids(store)
    assert ids["u/hz2022"] == ids["u/hz2023"] is not None
    assert ids["u/zone2022"] == ids["u/zone2023"] is not None
    distinct = {ids["u/hz2022"], ids["u/zone2022"], ids["u/county2013"], ids["u/tax2023"]}
    assert len(distinct) == 4
    assert ids["u/none"] is None
    listed = {a.key: a for a in agencies(store.engine)}
    assert listed["洪泽区"].names == {"淮安市洪泽区人民政府": [2022], "洪泽区人民政府": [2023]}
    assert listed["洪泽区"].years == [2022, 2023]
    assert listed["洪泽区"].name == "淮安市洪泽区人民政府"  # the most specific name
    assert listed["平潭县"].names == {"平潭县人民政府": [2013]}
    assert [a.key for a in agencies(store.engine, agency="洪泽区人民政府")] == ["洪泽区"]


def test_agency_id_is_stable_across_batches(store: Store) -> None:
    store.upsert_reports([panel_item("洪泽区人民政府", 2020, {}, url="a")])
    first = _ids(store)["a"]
    store.upsert_reports([panel_item("江苏省淮安市洪泽区人民政府", 2021, {}, url="b")])
    assert _ids(store) == {"a": first, "b": first}
    # shown under the most specific name written so far, whatever the order
    assert [a.name for a in agencies(store.engine)] == ["江苏省淮安市洪泽区人民政府"]
    store.upsert_reports([panel_item("淮安市洪泽区人民政府", 2022, {}, url="c")])
    assert [a.name for a in agencies(store.engine)] == ["江苏省淮安市洪泽区人民政府"]


def test_carried_over_mismatch_is_stored_and_recomputed_when_either_year_changes(store: Store) -> None:
    store.upsert_reports(
        [
            panel_item("洪泽区人民政府", 2020, table(carried_over=1, carried_forward=5), url="y2020"),
            panel_item("洪泽区人民政府", 2021, table(carried_over=5, carried_forward=7), url="y2021", fmt="2021"),
            panel_item("洪泽区人民政府", 2022, table(carried_over=6, carried_forward=2), url="y2022", fmt="2021"),
        ]
    )
    ids = {url: rid for url, rid in _report_ids(store).items()}
    fails = cross_year_failures(store.engine)
    # 2021 follows 2020 in every column; 2022 states 6+n where 2021 carried 7+n forward
    assert {(f.year, f.rule, f.value, f.expected, f.report_id, f.prev_report_id) for f in fails} == {
        (2022, f"cross_year.carried_over.{c}", 6 + n, 7 + n, ids["y2022"], ids["y2021"])
        for n, c in enumerate(COLS)
    }
    # the later year is corrected: the failures go
    store.upsert_reports([panel_item("洪泽区人民政府", 2022, table(carried_over=7, carried_forward=2), url="y2022", fmt="2021", at=1)])
    assert cross_year_failures(store.engine) == []
    # the earlier year changes: the pair with the year after it fails again
    store.upsert_reports([panel_item("洪泽区人民政府", 2020, table(carried_over=1, carried_forward=4), url="y2020", at=2)])
    assert {(f.year, f.rule, f.value, f.expected) for f in cross_year_failures(store.engine)} == {
        (2021, f"cross_year.carried_over.{c}", 5 + n, 4 + n) for n, c in enumerate(COLS)
    }


def test_art20_prior_follows_prior_plus_change_in_the_2019_format_only(store: Store) -> None:
    def art20(prior: int, change: int) -> dict[str, float | int]:
        return {"art20.licensing.prior": prior, "art20.licensing.change": change, "art20.penalty.prior": prior}

    store.upsert_reports(
        [
            panel_item("泸州市", 2019, art20(10, 2), url="y2019"),
            panel_item("泸州市", 2020, art20(11, -1), url="y2020"),  # licensing 10+2 ≠ 11; penalty: no change stated
            panel_item("泸州市", 2021, art20(10, 0), url="y2021", fmt="2021"),  # 2021 format: not compared
        ]
    )
    ids = _report_ids(store)
    fails = cross_year_failures(store.engine)
    assert [(f.year, f.rule, f.value, f.expected, f.report_id, f.prev_report_id) for f in fails] == [
        (2020, "cross_year.art20.licensing.prior", 11, 12, ids["y2020"], ids["y2019"])
    ]


def test_legacy_reports_and_non_consecutive_years_are_not_compared(store: Store) -> None:
    store.upsert_reports(
        [
            panel_item("长寿区", 2017, table(1, 99), url="y2017", fmt="legacy"),
            panel_item("长寿区", 2018, table(1, 50), url="y2018"),
            panel_item("长寿区", 2020, table(3, 3), url="y2020"),  # 2019 missing: nothing to compare with
        ]
    )
    assert cross_year_failures(store.engine) == []
    assert gaps(store.engine) == {(_agency_id(store, "长寿区"), "长寿区"): [2019]}


def test_panel_has_one_row_per_value_and_shows_two_reports_of_one_year(store: Store) -> None:
    store.upsert_reports(
        [
            panel_item("淮安市洪泽区人民政府", 2021, {"requests.received": 10, "review.total": 1}, url="a"),
            panel_item("洪泽区人民政府", 2022, {"requests.received": 12}, url="b"),
            panel_item("洪泽区人民政府", 2022, {"requests.received": 13}, url="b-republished", source="other"),
            panel_item("平潭县人民政府", 2022, {"requests.received": 99}, url="c"),
        ]
    )
    ids = _report_ids(store)
    rows = panel_rows(store.engine, keys=["requests.received"], agency="洪泽区")
    expected = [
        ("淮安市洪泽区人民政府", 2021, "requests.received", 10, ids["a"], "2019", 1),
        ("淮安市洪泽区人民政府", 2022, "requests.received", 12, ids["b"], "2019", 2),
        ("淮安市洪泽区人民政府", 2022, "requests.received", 13, ids["b-republished"], "2019", 2),
    ]
    # by agency, year, then report id (the order reports were stored in)
    expected.sort(key=lambda r: (r[1], r[4]))
    assert [(r.agency, r.year, r.key, r.value, r.report_id, r.format, r.reports_in_year) for r in rows] == expected
    assert len(panel_rows(store.engine)) == 5
    assert [r.year for r in panel_rows(store.engine, year_from=2022, year_to=2022, agency="平潭")] == [2022]


def test_gaps_list_the_missing_years_between_first_and_last(store: Store) -> None:
    store.upsert_reports(
        [panel_item("泸州市", y, {}, url=f"l{y}") for y in (2015, 2017, 2020)]
        + [panel_item("平潭县", y, {}, url=f"p{y}") for y in (2019, 2020)]
    )
    assert gaps(store.engine) == {(_agency_id(store, "泸州市"), "泸州市"): [2016, 2018, 2019]}
    store.upsert_reports([panel_item("泸州市", 2018, {}, url="l2018")])
    assert gaps(store.engine, agency="泸州") == {(_agency_id(store, "泸州市"), "泸州市"): [2016, 2019]}


def test_a_catalog_pin_wins_and_moves_stored_reports_when_it_changes(store: Store) -> None:
    def source(agency: str | None) -> Source:
        return Source(key="pt", name="平潭", start_urls=["http://127.0.0.1:1/"], adapter="generic", agency=agency)

    store.sync_sources([source(None)])
    store.upsert_reports(
        [panel_item("平潭县人民政府", 2020, table(1, 4), source="pt", url="a"), panel_item("平潭综合实验区", 2021, table(5, 1), source="zone", url="z")]
    )
    ids = _ids(store)
    assert ids["a"] != ids["z"]
    assert cross_year_failures(store.engine) == []
    store.sync_sources([source("平潭综合实验区管委会")])  # the pin: this source's reports are the zone's
    ids = _ids(store)
    assert ids["a"] == ids["z"]
    # now consecutive years of one agency: 2021 carried over 5+n, 2020 carried 4+n forward
    assert {f.rule for f in cross_year_failures(store.engine)} == {f"cross_year.carried_over.{c}" for c in COLS}
    store.upsert_reports([panel_item("平潭县人民政府", 2020, table(1, 4), source="pt", url="a")])  # unchanged
    assert _ids(store)["a"] == ids["z"]
    store.sync_sources([source(None)])
    assert _ids(store)["a"] != ids["z"]
    assert cross_year_failures(store.engine) == []


def test_upgrade_from_0004_assigns_agencies_and_computes_checks(store: Store) -> None:
    from alembic import command

    store.upsert_reports(
        [
            panel_item("淮安市洪泽区人民政府", 2020, table(1, 5), url="a"),
            panel_item("洪泽区人民政府", 2021, table(4, 5), url="b"),
        ]
    )
    before = ([(f.year, f.rule, f.value, f.expected) for f in cross_year_failures(store.engine)], len(_ids(store)))
    assert before[0]
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    with store.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    ids = _ids(store)
    assert ids["a"] == ids["b"] is not None
    assert ([(f.year, f.rule, f.value, f.expected) for f in cross_year_failures(store.engine)], len(ids)) == before


def _report_ids(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {u: i for u, i in conn.execute(sa.text("SELECT url, id FROM reports"))}


def _agency_id(store: Store, key: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT id FROM agencies WHERE key = :k"), {"k": key}).scalar_one())


def test_a_report_that_moves_year_takes_its_failures_along(store: Store) -> None:
    """A reparse that reads another year: the pairs of the old year are recomputed too."""
    store.upsert_reports(
        [
            panel_item("泸州市", 2020, table(1, 5), url="y2020"),
            panel_item("泸州市", 2021, table(3, 1), url="moving"),  # 3+n ≠ 5+n: fails as 2021
            panel_item("泸州市", 2023, table(1, 1), url="y2023"),  # 1+n carried over
        ]
    )
    assert {f.year for f in cross_year_failures(store.engine)} == {2021}
    store.upsert_reports([panel_item("泸州市", 2022, table(3, 1), url="moving", at=1)])  # now 2022
    # 2021 is gone (2020 and 2022 are no longer consecutive); 2023 follows 2022: 1+n = 1+n
    assert cross_year_failures(store.engine) == []
    assert gaps(store.engine) == {(_agency_id(store, "泸州市"), "泸州市"): [2021]}
