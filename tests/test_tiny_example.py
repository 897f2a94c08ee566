"""The tiny example of the business rules, end to end, with exact values."""

from __future__ import annotations

import json

import luigi

from d2b_luigi import RunAll
from tests.conftest import TINY, TINY_DATE


def test_tiny_example_gives_the_expected_rows(pipeline):
    pipeline.put_tiny()

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.summary_text
    expected = json.loads((TINY / "expected-2025-07-01.json").read_text())
    assert pipeline.analytics(TINY_DATE) == expected


def test_exports_are_csv_with_header_iso_dates_and_true_false(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    folder = pipeline.exports / pipeline.id / TINY_DATE.isoformat()
    assert sorted(p.name for p in folder.iterdir()) == [
        "agg_public_holiday.csv",
        "agg_shipments.csv",
        "best_performing_product.csv",
    ]
    assert (folder / "agg_shipments.csv").read_text() == (
        "ingestion_date,tt_late_shipments,tt_undelivered_items\n2025-07-01,2,2\n"
    )
    assert (folder / "best_performing_product.csv").read_text().splitlines() == [
        "ingestion_date,product_name,most_ordered_day,is_public_holiday,tt_review_points,"
        "pct_one_star_review,pct_two_star_review,pct_three_star_review,pct_four_star_review,pct_five_star_review,"
        "pct_early_shipments,pct_late_shipments",
        "2025-07-01,Screwdriver,2025-05-01,true,11,25,25,25,0,25,66.67,33.33",
    ]
