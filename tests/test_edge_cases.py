"""The decided edge cases of the business rules, and write-audit-publish: consumers only see audited rows."""

from __future__ import annotations

import datetime as dt
import json
import re

import luigi

from d2b_luigi import QualityCheck, RunAll, Transform, cli
from d2b_luigi.sqlfiles import SQL_DIR
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATE = str(TINY_DATE)
BEST_HEADER = (
    "ingestion_date,product_name,most_ordered_day,is_public_holiday,tt_review_points,"
    "pct_one_star_review,pct_two_star_review,pct_three_star_review,pct_four_star_review,pct_five_star_review,"
    "pct_early_shipments,pct_late_shipments"
)


def failed_checks(pipeline, date=TINY_DATE) -> dict[str, tuple]:
    rows = pipeline.query(
        "SELECT check_name, severity, failing_rows, sample FROM {a}.quality_results"
        " WHERE ingestion_date = %s AND NOT passed ORDER BY 1",
        (date,),
    )
    return {name: (severity, count, sample) for name, severity, count, sample in rows}


def exported(pipeline, table: str, date=TINY_DATE) -> list[str]:
    return (pipeline.exports / pipeline.id / str(date) / f"{table}.csv").read_text().splitlines()


def test_no_reviews_no_best_product_a_header_only_export_and_a_warning(pipeline, monkeypatch):
    monkeypatch.setenv("D2B_ALLOW_EMPTY_FILES", "true")
    pipeline.put_tiny()
    (pipeline.landing_dir(TINY_DATE) / "reviews.csv").write_text("review,product_id\n")

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert pipeline.analytics(TINY_DATE) == {**EXPECTED, "best_performing_product": None}
    assert exported(pipeline, "best_performing_product") == [BEST_HEADER]
    assert exported(pipeline, "agg_shipments") == [
        "ingestion_date,tt_late_shipments,tt_undelivered_items",
        f"{DATE},2,2",
    ]
    url = str(pipeline.landing_dir(TINY_DATE) / "reviews.csv")
    assert failed_checks(pipeline) == {
        "no_best_product": ("warn", 1, [{"problem": "no best product", "file_url": url, "reviews": 0}])
    }


def test_a_best_product_without_orders_has_no_busiest_day_and_zero_shipment_shares(pipeline):
    pipeline.put_tiny()
    with open(pipeline.dimensions / "dim_products.csv", "a") as products:
        products.write("3,Tools,Wrench\n")
    with open(pipeline.landing_dir(TINY_DATE) / "reviews.csv", "a") as reviews:
        reviews.write("5,3\n5,3\n5,3\n")  # 15 points: the best, and never ordered

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert pipeline.analytics(TINY_DATE)["best_performing_product"] == {
        "ingestion_date": DATE,
        "product_name": "Wrench",
        "most_ordered_day": None,
        "is_public_holiday": None,
        "tt_review_points": 15,
        "pct_one_star_review": 0.0,
        "pct_two_star_review": 0.0,
        "pct_three_star_review": 0.0,
        "pct_four_star_review": 0.0,
        "pct_five_star_review": 100.0,
        "pct_early_shipments": 0.0,
        "pct_late_shipments": 0.0,
    }
    assert exported(pipeline, "best_performing_product")[1] == f"{DATE},Wrench,,,15,0,0,0,0,100,0,0"
    assert failed_checks(pipeline) == {}


def test_a_shrinking_snapshot_is_a_warning_with_both_counts(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    later = TINY_DATE + dt.timedelta(days=1)
    pipeline.put_tiny(later)
    reviews = pipeline.landing_dir(later) / "reviews.csv"
    reviews.write_text("".join(reviews.read_text().splitlines(keepends=True)[:-1]))  # one review fewer

    result = pipeline.build(RunAll(date=later))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert failed_checks(pipeline, later) == {
        "snapshot_shrank": (
            "warn",
            1,
            [{"source": "reviews", "previous_date": DATE, "previous_rows": 6, "rows": 5}],
        )
    }


def test_values_without_business_sense_are_loaded_and_counted_by_warnings(pipeline):
    pipeline.put_tiny()
    folder = pipeline.landing_dir(TINY_DATE)
    orders = (folder / "orders.csv").read_text()
    orders = orders.replace("1,1,2023-12-25,1,100,2,200", "1,1,2023-12-25,1,100,2,201")  # total != unit x quantity
    orders = orders.replace("3,3,2025-01-01,2,50,3,150", "3,3,2025-01-01,2,50,0,0")  # quantity below 1
    orders = orders.replace("6,3,2025-06-10,1,100,1,100", "6,3,2025-06-10,1,0,1,0")  # unit price below 1
    (folder / "orders.csv").write_text(orders)
    shipments = (folder / "shipment_deliveries.csv").read_text()
    shipments = shipments.replace("1,1,2023-12-27,2023-12-29", "1,1,2023-12-20,2023-12-29")  # shipped before
    shipments = shipments.replace("3,3,2025-01-02,2025-01-04", "3,3,2025-01-02,2024-12-30")  # delivered before
    shipments = shipments.replace("7,7,,", "7,7,,2025-06-30")  # delivered, never shipped
    (folder / "shipment_deliveries.csv").write_text(shipments)

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert pipeline.query("SELECT count(*) FROM {a}.load_log WHERE rows_rejected = 0 AND rows_loaded = 8") == [(2,)]
    checks = failed_checks(pipeline)
    assert sorted(checks) == ["orders_values_make_sense", "shipment_dates_make_sense"]
    severity, count, sample = checks["orders_values_make_sense"]
    assert (severity, count) == ("warn", 3)
    assert sorted((row["order_id"], row["problem"]) for row in sample) == [
        (1, "total price is not unit price x quantity"),
        (3, "quantity below 1"),
        (6, "unit price below 1"),
    ]
    severity, count, sample = checks["shipment_dates_make_sense"]
    assert (severity, count) == ("warn", 3)
    assert sorted((row["shipment_id"], row["problem"]) for row in sample) == [
        (1, "shipped before the order date"),
        (3, "delivered before the order date"),
        (7, "delivered without a shipment"),
    ]
    assert pipeline.query("SELECT check_name, failing_rows FROM {s}.audit_counts") == [
        ("shipment_dates_make_sense", 3)
    ], "agg_shipments counted them in its own join"
    assert pipeline.analytics(TINY_DATE) == EXPECTED, "they never change a rule"


def shipments_with_wrong_dates(pipeline) -> None:
    """The tiny example with shipment 1 shipped before its order and shipment 7 delivered, never shipped."""
    pipeline.put_tiny()
    path = pipeline.landing_dir(TINY_DATE) / "shipment_deliveries.csv"
    shipments = path.read_text().replace("1,1,2023-12-27,2023-12-29", "1,1,2023-12-20,2023-12-29")
    path.write_text(shipments.replace("7,7,,", "7,7,,2025-06-30"))


def check_plan(pipeline, name: str) -> dict:
    """EXPLAIN ANALYZE of a check's count query against the date's staging partitions (before clean-up)."""
    from d2b_luigi import config, warehouse
    from d2b_luigi.tasks.load import partitions

    settings = config.settings()
    check = warehouse.statement(settings, f"checks/{name}", **partitions(settings, TINY_DATE))
    count = warehouse.statement(settings, "quality/count_check", check=check)
    with warehouse.transaction(settings) as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + count.as_string(cursor), {"run_date": TINY_DATE})
        return cursor.fetchone()[0][0]["Plan"]


def nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


def test_the_shipment_dates_check_joins_again_only_when_agg_shipments_counted_wrong_dates(pipeline):
    """Clean shipments: agg_shipments counted 0, and the check's join of the shipments to their orders never
    runs. Wrong dates: the check lists them."""
    pipeline.put_tiny()
    assert pipeline.build(QualityCheck(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.query("SELECT check_name, failing_rows FROM {s}.audit_counts") == [("shipment_dates_make_sense", 0)]
    joins = [node for node in nodes(check_plan(pipeline, "shipment_dates_make_sense")) if "Join" in node["Node Type"]]
    assert joins and all(node["Actual Loops"] == 0 for node in joins), joins

    shipments_with_wrong_dates(pipeline)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert failed_checks(pipeline)["shipment_dates_make_sense"][:2] == ("warn", 2)


def test_without_a_count_from_agg_shipments_the_shipment_dates_check_joins_in_full(pipeline):
    """A date whose agg_shipments ran before migration 0007 (no count): the check still finds every row."""
    shipments_with_wrong_dates(pipeline)
    assert pipeline.build(Transform(date=TINY_DATE, table="agg_shipments")).status == luigi.LuigiStatusCode.SUCCESS
    pipeline.query("DELETE FROM {s}.audit_counts")
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    severity, count, sample = failed_checks(pipeline)["shipment_dates_make_sense"]
    assert (severity, count) == ("warn", 2)
    assert sorted(row["shipment_id"] for row in sample) == [1, 7]


def test_a_date_whose_checks_fail_keeps_its_published_rows_and_exports_read_only_published_rows(pipeline, capsys):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    cli.main(["invalidate", "Transform", "--table", "best_performing_product", "--date", DATE, "--downstream"])
    transform = Transform(date=TINY_DATE, table="best_performing_product")
    assert pipeline.build(transform).status == luigi.LuigiStatusCode.SUCCESS
    pipeline.query("UPDATE {s}.best_performing_product SET pct_one_star_review = 30")  # a wrong written row

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert "1 data-quality check(s) failed for 2025-07-01 (star_percentages_sum_to_100: 1 rows" in result.errors
    assert pipeline.analytics(TINY_DATE) == EXPECTED, "the previous published rows stay"
    assert not (pipeline.exports / pipeline.id / DATE / "best_performing_product.csv").exists()

    pipeline.query("UPDATE {s}.best_performing_product SET pct_one_star_review = 25")  # fixed
    pipeline.query("UPDATE {s}.agg_shipments SET tt_late_shipments = 1")  # audited below, then published
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert exported(pipeline, "agg_shipments")[1] == f"{DATE},1,2", "the export is the published row"
    assert pipeline.analytics(TINY_DATE)["agg_shipments"]["tt_late_shipments"] == 1


def test_late_early_and_public_holiday_are_written_once_in_sql():
    """Every transform and check uses the functions that migration 0002 creates, none spells the rule out again."""
    spelled_out = re.compile(r"order_date \+ 6|NOT \w*\.?working_day|BETWEEN 1 AND 5")
    users = []
    for path in sorted(SQL_DIR.glob("*/*.sql")):
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        if path.parent.name in ("transform", "checks"):
            assert not spelled_out.search(text), f"{path.name} spells out a rule of migration 0002"
        if re.search(r"is_(late|early)_shipment|is_public_holiday\(", text):
            users.append(str(path.relative_to(SQL_DIR)))
    assert users == [
        "migrations/0002_write_audit_publish.sql",
        "migrations/0006_parallel_safe_rules.sql",
        "transform/agg_public_holiday.sql",
        "transform/agg_shipments.sql",
        "transform/best_performing_product.sql",
    ]


def test_a_checks_description_is_the_comment_block_at_its_top():
    """What quality_results shows users: the first comment lines, not the notes on the SQL further down."""
    from d2b_luigi import sqlfiles
    from d2b_luigi.tasks.quality import check_header

    for name in sqlfiles.names("checks"):
        assert "{" not in check_header(name)[1], name
    assert check_header("checks/shipment_dates_make_sense") == (
        "warn",
        "Shipments whose dates parse but make no business sense: shipped or delivered before the order date, or "
        "delivered without a shipment date. They are loaded and counted as they are.",
    )
