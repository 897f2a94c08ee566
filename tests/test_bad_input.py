"""Broken landing files: a clear error naming file, line and column; nothing lost, nothing half loaded."""

from __future__ import annotations

import json

import luigi
import pytest

from d2b_luigi import LoadStaging, RunAll
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
ORDERS_HEADER = "order_id,customer_id,order_date,product_id,unit_price,quantity,total_price"


def land(pipeline, name: str, content: bytes) -> str:
    path = pipeline.landing_dir(TINY_DATE) / f"{name}.csv"
    path.write_bytes(content)
    return str(path)


def load(pipeline, name: str):
    return pipeline.build(LoadStaging(date=TINY_DATE, name=name))


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("order_id,customer_id,order_date,product_id,unit_price,quantity", "missing column"),
        (ORDERS_HEADER + ",discount", "extra column"),
        (ORDERS_HEADER.replace("quantity", "qty"), "renamed column"),
        (ORDERS_HEADER.replace("customer_id", "order_id"), "repeated column"),
    ],
)
def test_a_wrong_header_fails_the_load_naming_the_file_and_both_headers(pipeline, header, found):
    pipeline.put_tiny()
    url = land(pipeline, "orders", (header + "\n1,1,2025-01-01,1,1,1,1\n").encode())

    result = load(pipeline, "orders")

    assert result.status == luigi.LuigiStatusCode.FAILED, found
    assert f"{url}: line 1: expected header {ORDERS_HEADER} (in any order), found {header}" in result.errors
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]


def test_a_wrong_header_on_a_rerun_changes_no_analytics_row(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    land(pipeline, "orders", b"id,customer\n1,1\n")
    pipeline.query("DELETE FROM {a}.task_markers")  # force the whole date again
    for export in (pipeline.exports / pipeline.id / "2025-07-01").iterdir():
        export.unlink()

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_an_empty_file_fails_the_load(pipeline):
    pipeline.put_tiny()
    url = land(pipeline, "reviews", b"")

    result = load(pipeline, "reviews")

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert f"{url}: the file is empty (expected a header row: review,product_id)" in result.errors


def test_undecodable_bytes_fail_the_whole_file_naming_line_and_byte(pipeline):
    pipeline.put_tiny()
    url = land(pipeline, "reviews", b"review,product_id\n5,1\n4,\xff1\n")

    result = load(pipeline, "reviews")

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert f"{url}: line 3, byte 3: not UTF-8 (invalid start byte); nothing was loaded" in result.errors
    assert pipeline.query("SELECT count(*) FROM {s}.reviews") == [(0,)]
    assert pipeline.query("SELECT count(*) FROM {s}.rejected_rows") == [(0,)]


BAD_ORDERS = (
    ORDERS_HEADER + "\n"
    "1,1,2023-12-25,1,100,2,200\n"
    "2,2,2024-12-25,1,100,1\n"  # line 3: a field missing
    "3,3,2025-01-01,2,50,3,150\n"
    "4,1,2025-02-30,2,50,1,50\n"  # line 5: no such date
    "5,2,2025-05-01,2,fifty,2,100\n"  # line 6: not an integer
    "3,9,2025-05-01,2,50,2,100\n"  # line 7: order_id 3 again
    "6,3,2030-06-10,1,100,1,100\n"  # line 8: not in dim_dates
    '"7",1,"2025-06-20",2,50,1,50'  # line 9: quoted fields are fine
)


def test_bad_rows_are_rejected_with_line_and_reason_and_fail_the_load_by_default(pipeline):
    pipeline.put_tiny()
    url = land(pipeline, "orders", BAD_ORDERS.encode())

    result = load(pipeline, "orders")

    assert result.status == luigi.LuigiStatusCode.FAILED
    message = result.errors
    assert f"{url}: 5 of 8 rows rejected, more than max_reject_ratio=0.0 allows; nothing of this file was loaded" in (
        message
    )
    assert "line 3: 6 fields, expected 7" in message
    assert f"{pipeline.id}_staging.rejected_rows" in message
    assert pipeline.query("SELECT line_no, raw_line, reason FROM {s}.rejected_rows ORDER BY line_no") == [
        (3, "2,2,2024-12-25,1,100,1", "6 fields, expected 7 (" + ORDERS_HEADER + ")"),
        (5, "4,1,2025-02-30,2,50,1,50", "column 3 (order_date): '2025-02-30' is not a valid date"),
        (6, "5,2,2025-05-01,2,fifty,2,100", "column 5 (unit_price): 'fifty' is not an integer"),
        (7, "3,9,2025-05-01,2,50,2,100", "column 1 (order_id): 3 is already on line 4"),
        (8, "6,3,2030-06-10,1,100,1,100", "column 3 (order_date): 2030-06-10 is not in dim_dates"),
    ]
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)], "nothing of that file stays in staging"
    assert pipeline.query("SELECT count(*) FROM {a}.task_markers WHERE update_id LIKE 'LoadStaging%%'") == [(0,)]


def test_with_a_reject_ratio_good_rows_load_and_the_load_reconciles(pipeline, monkeypatch):
    pipeline.put_tiny()
    land(pipeline, "orders", BAD_ORDERS.encode())
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.7")

    assert load(pipeline, "orders").status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT order_id, line_no FROM {s}.orders ORDER BY order_id") == [(1, 2), (3, 4), (7, 9)]
    assert pipeline.query("SELECT data_lines, rows_loaded, rows_rejected FROM {a}.load_log") == [(8, 3, 5)]
    assert pipeline.query("SELECT count(*) FROM {s}.rejected_rows") == [(5,)]


def test_a_rerun_after_the_file_is_fixed_replaces_the_dates_rejects(pipeline):
    pipeline.put_tiny()
    good = (TINY / "orders.csv").read_bytes()
    land(pipeline, "orders", BAD_ORDERS.encode())
    assert load(pipeline, "orders").status == luigi.LuigiStatusCode.FAILED
    land(pipeline, "orders", good)  # the bad download was dropped: the rerun fetches the fixed file

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT count(*) FROM {s}.rejected_rows") == [(0,)]
    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_reviews_out_of_range_and_shipments_without_order_or_repeated(pipeline, monkeypatch):
    pipeline.put_tiny()
    land(pipeline, "reviews", b"review,product_id\n5,1\n4,1\n1,2\n3,2\n5,2\n2,2\n6,2\n0,1")
    shipments = (TINY / "shipment_deliveries.csv").read_text() + "9,99,,\n8,8,2025-06-26,\n"
    land(pipeline, "shipment_deliveries", shipments.encode())
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.3")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT source, line_no, reason FROM {s}.rejected_rows ORDER BY source, line_no") == [
        ("reviews", 8, "column 1 (review): '6' is not a review of 1 to 5 stars"),
        ("reviews", 9, "column 1 (review): '0' is not a review of 1 to 5 stars"),
        ("shipment_deliveries", 10, "column 2 (order_id): order 99 is not in the orders file"),
        ("shipment_deliveries", 11, "column 1 (shipment_id): 8 is already on line 9"),
    ]
    assert pipeline.analytics(TINY_DATE) == EXPECTED, "the rejected rows do not count"
    assert pipeline.query("SELECT source, data_lines, rows_loaded, rows_rejected FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8, 8, 0),
        ("reviews", 8, 6, 2),
        ("shipment_deliveries", 10, 8, 2),
    ]


def test_trailing_newline_crlf_quotes_and_blank_lines_are_accepted(pipeline):
    pipeline.put_tiny()
    text = (TINY / "orders.csv").read_text().replace("\n", "\r\n") + "\r\n"
    land(pipeline, "orders", text.replace("2,2,2024-12-25", '"2","2","2024-12-25"').encode())
    land(pipeline, "reviews", (TINY / "reviews.csv").read_bytes().replace(b"\n3,2", b"\n\n3,2") + b"\n")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.query("SELECT source, data_lines, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8, 8),
        ("reviews", 6, 6),
        ("shipment_deliveries", 8, 8),
    ]


def test_a_shipment_whose_order_is_missing_inside_the_order_id_range_is_rejected(pipeline, monkeypatch):
    """Orders 1..8 without 5: no gap-free range to vouch for the shipments, so each is looked up."""
    pipeline.put_tiny()
    orders = (TINY / "orders.csv").read_text().splitlines()
    land(pipeline, "orders", "\n".join(line for line in orders if not line.startswith("5,")).encode())
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.2")

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="shipment_deliveries")).status == (
        luigi.LuigiStatusCode.SUCCESS
    )

    assert pipeline.query("SELECT source, line_no, raw_line, reason FROM {s}.rejected_rows") == [
        ("shipment_deliveries", 6, "5,5,,", "column 2 (order_id): order 5 is not in the orders file")
    ]
