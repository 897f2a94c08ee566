"""The reference model gives the worked example's answer (business-rules.md, examples/tiny)."""

from __future__ import annotations

import csv
import datetime as dt
import json

from tests import reference_model as rm
from tests.conftest import TINY, TINY_DATE


def read(name: str) -> list[dict[str, str]]:
    with open(TINY / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def day(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def test_the_reference_model_gives_the_tiny_examples_expected_rows():
    orders = [
        rm.Order(*(int(r[c]) for c in ("order_id", "customer_id")), day(r["order_date"]),
                 *(int(r[c]) for c in ("product_id", "unit_price", "quantity", "total_price")))
        for r in read("orders")
    ]  # fmt: skip
    reviews = [rm.Review(int(r["review"]), int(r["product_id"])) for r in read("reviews")]
    shipments = [
        rm.Shipment(int(r["shipment_id"]), int(r["order_id"]), day(r["shipment_date"]), day(r["delivery_date"]))
        for r in read("shipment_deliveries")
    ]
    dim_dates = {
        day(r["calendar_dt"]): rm.Day(int(r["day_of_the_week_num"]), r["working_day"] == "true")
        for r in read("dim_dates")
    }
    names = {int(r["product_id"]): r["product_name"] for r in read("dim_products")}

    got = rm.analytics(
        TINY_DATE, rm.Snapshot(tuple(orders), tuple(reviews), tuple(shipments)), rm.Dimensions(dim_dates, names)
    )

    assert got == json.loads((TINY / "expected-2025-07-01.json").read_text())


def test_no_reviews_means_no_best_product_and_a_best_product_without_orders_has_no_day():
    order = rm.Order(1, 1, dt.date(2025, 6, 1), 1, 10, 1, 10)
    dims = rm.Dimensions({}, {1: "A", 2: "B"})
    assert rm.best_performing_product(dt.date(2025, 7, 1), rm.Snapshot((order,), (), ()), dims) is None

    best = rm.best_performing_product(dt.date(2025, 7, 1), rm.Snapshot((order,), (rm.Review(5, 2),), ()), dims)

    assert best["product_name"] == "B"
    assert best["most_ordered_day"] is None and best["is_public_holiday"] is None
    assert best["pct_early_shipments"] == best["pct_late_shipments"] == 0.0
    assert best["pct_five_star_review"] == 100.0


def test_percentages_round_halves_away_from_zero():
    assert rm.pct(1, 32) == 3.13  # 3.125
    assert rm.pct(2, 3) == 66.67
    assert rm.pct(1, 3) == 33.33
