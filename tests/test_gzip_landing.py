"""Gzip-compressed landing files ({name}.csv.gz, or gzip content under {name}.csv) load like plain ones."""

from __future__ import annotations

import gzip
import json

import luigi

from d2b_luigi import LoadStaging, RunAll
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())


def gzip_landing(folder) -> None:
    """orders as orders.csv.gz, reviews as gzip content under reviews.csv, shipments plain."""
    orders = folder / "orders.csv"
    (folder / "orders.csv.gz").write_bytes(gzip.compress(orders.read_bytes()))
    orders.unlink()
    reviews = folder / "reviews.csv"
    reviews.write_bytes(gzip.compress(reviews.read_bytes()))


def test_gzip_landing_files_on_the_local_lake_give_the_same_rows(pipeline):
    pipeline.put_tiny()
    gzip_landing(pipeline.landing_dir(TINY_DATE))

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED
    folder = pipeline.landing_dir(TINY_DATE)
    assert pipeline.query("SELECT source, file_url, bytes, data_lines, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", f"{folder}/orders.csv.gz", (TINY / "orders.csv").stat().st_size, 8, 8),
        ("reviews", f"{folder}/reviews.csv", (TINY / "reviews.csv").stat().st_size, 6, 6),
        (
            "shipment_deliveries",
            f"{folder}/shipment_deliveries.csv",
            (TINY / "shipment_deliveries.csv").stat().st_size,
            8,
            8,
        ),
    ]


def test_a_bad_row_in_a_gzip_file_is_named_by_its_line_as_in_a_plain_file(pipeline):
    pipeline.put_tiny()
    folder = pipeline.landing_dir(TINY_DATE)
    text = (TINY / "orders.csv").read_text().replace("\n3,", "\nthree,", 1)
    (folder / "orders.csv").unlink()
    (folder / "orders.csv.gz").write_bytes(gzip.compress(text.encode()))

    result = pipeline.build(LoadStaging(date=TINY_DATE, name="orders"))

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert f"{folder}/orders.csv.gz: 1 of 8 rows rejected" in result.errors
    assert "line 4: column 1 (order_id): 'three' is not an integer" in result.errors
    assert pipeline.query("SELECT line_no, raw_line FROM {s}.rejected_rows") == [(4, text.splitlines()[3])]


def test_gzip_landing_files_on_s3(pipeline, s3, monkeypatch):
    pipeline.put_tiny()  # the dimension CSVs stay local
    for name in ("orders", "reviews", "shipment_deliveries"):
        body = gzip.compress((TINY / f"{name}.csv").read_bytes())
        key = f"landing/2025-07-01/{name}.csv.gz" if name != "reviews" else "landing/2025-07-01/reviews.csv"
        s3.put_object(Bucket="lake", Key=key, Body=body)
    monkeypatch.setenv("D2B_LANDING_URL", "s3://lake/landing/{date}")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.query("SELECT source, file_url, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", "s3://lake/landing/2025-07-01/orders.csv.gz", 8),
        ("reviews", "s3://lake/landing/2025-07-01/reviews.csv", 6),
        ("shipment_deliveries", "s3://lake/landing/2025-07-01/shipment_deliveries.csv.gz", 8),
    ]


def test_a_truncated_gzip_file_fails_its_load_naming_it_and_the_fixed_file_loads(pipeline):
    pipeline.put_tiny()
    folder = pipeline.landing_dir(TINY_DATE)
    packed = gzip.compress((folder / "orders.csv").read_bytes())
    (folder / "orders.csv").unlink()
    (folder / "orders.csv.gz").write_bytes(packed[: len(packed) // 2])

    result = pipeline.build(LoadStaging(date=TINY_DATE, name="orders"))

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert f"{folder}/orders.csv.gz: not a complete gzip file (" in result.errors
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
    (folder / "orders.csv.gz").write_bytes(packed)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED
