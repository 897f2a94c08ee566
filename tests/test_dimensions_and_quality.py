"""Dimensions are only read when they exist; every data-quality check can fail and stops the exports."""

from __future__ import annotations

import json

import luigi
import pytest

from d2b_luigi import Dimensions, QualityCheck, RunAll, Transform
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())


def test_existing_dimension_tables_are_only_read(pipeline):
    pipeline.put_tiny()
    pipeline.query("CREATE SCHEMA {c}")
    pipeline.query(
        "CREATE TABLE {c}.dim_products (product_id int PRIMARY KEY, product_category text, product_name text)"
    )
    pipeline.query("INSERT INTO {c}.dim_products VALUES (1, 'Tools', 'Hammer'), (2, 'Tools', 'Owned elsewhere')")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT product_name FROM {c}.dim_products ORDER BY 1") == [("Hammer",), ("Owned elsewhere",)]
    assert pipeline.analytics(TINY_DATE)["best_performing_product"]["product_name"] == "Owned elsewhere"
    assert pipeline.query("SELECT count(*) FROM {c}.dim_dates") == [(1096,)], "the missing one is seeded"


def test_dim_dates_is_generated_from_the_holiday_list_when_no_csv(pipeline, monkeypatch):
    pipeline.put_tiny()
    (pipeline.dimensions / "dim_dates.csv").unlink()
    monkeypatch.setenv("D2B_HOLIDAYS", "01-01,05-01,12-25,2025-06-20")

    assert pipeline.build(Dimensions()).status == luigi.LuigiStatusCode.SUCCESS

    rows = dict(pipeline.query("SELECT calendar_dt::text, working_day FROM {c}.dim_dates WHERE year_num = 2025"))
    assert rows["2025-05-01"] is False and rows["2025-06-20"] is False and rows["2025-06-19"] is True
    assert rows["2025-06-21"] is False, "Saturday"


# For each check: SQL that breaks the finished analytics for the date, and the check that must catch it.
TAMPERING = {
    "one_row_per_table": "DELETE FROM {s}.agg_shipments",
    "no_nulls": "ALTER TABLE {s}.agg_shipments ALTER tt_late_shipments DROP NOT NULL;"
    " UPDATE {s}.agg_shipments SET tt_late_shipments = NULL",
    "counts_not_negative": "UPDATE {s}.agg_public_holiday SET tt_order_hol_mar = -1",
    "star_percentages_sum_to_100": "UPDATE {s}.best_performing_product SET pct_one_star_review = 30",
    "shipment_percentages_sum_to_100": "UPDATE {s}.best_performing_product SET pct_late_shipments = 40",
    "most_ordered_day_in_dim_dates": "UPDATE {s}.best_performing_product SET most_ordered_day = '1990-01-01'",
    "late_and_undelivered_within_shipments": "UPDATE {s}.agg_shipments SET tt_undelivered_items = 100",
    "staging_reconciles_with_files": "UPDATE {a}.load_log SET rows_loaded = rows_loaded - 1 WHERE source = 'reviews'",
}


@pytest.mark.parametrize("check", sorted(TAMPERING))
def test_each_error_check_fails_on_bad_data_and_blocks_the_exports(pipeline, check):
    pipeline.put_tiny()
    transforms = [Transform(date=TINY_DATE, table=t) for t in EXPECTED]
    assert pipeline.build(*transforms).status == luigi.LuigiStatusCode.SUCCESS
    pipeline.query(TAMPERING[check])

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.FAILED
    failed = pipeline.query("SELECT check_name FROM {a}.quality_results WHERE NOT passed AND severity = 'error'")
    assert failed == [(check,)]
    assert not (pipeline.exports / pipeline.id).exists(), "no export after a failed error check"
    assert pipeline.analytics(TINY_DATE) == dict.fromkeys(EXPECTED), "nothing unaudited is published"
    assert not QualityCheck(date=TINY_DATE).complete()


def test_a_warn_check_is_recorded_and_does_not_block(pipeline):
    pipeline.put_tiny()
    with open(pipeline.landing_dir(TINY_DATE) / "orders.csv", "a") as orders:
        orders.write("9,1,2025-08-01,1,100,1,100\n")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query(
        "SELECT check_name, severity, failing_rows, sample FROM {a}.quality_results WHERE NOT passed"
    ) == [("orders_after_run_date", "warn", 1, [{"order_id": 9, "order_date": "2025-08-01"}])]
    assert pipeline.analytics(TINY_DATE) == EXPECTED, "orders after the run date do not count"
