"""The sample-data generator: deterministic for a seed, the shape of the real data, the lake's file format."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

from d2b_luigi.generate import generate

AS_OF = dt.date(2026, 11, 24)
ORDERS = 20_000


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for folder, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(tmp_path / folder, None, orders=2000, as_of=AS_OF, seed=seed)
    for name in ("orders.csv", "reviews.csv", "shipment_deliveries.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_files_look_like_the_lake(tmp_path):
    counts = generate(tmp_path / "landing", tmp_path / "dims", orders=3, as_of=AS_OF)

    assert counts == {"orders": 3, "shipment_deliveries": 3, "reviews": 2}
    headers = {
        "orders.csv": "order_id,customer_id,order_date,product_id,unit_price,quantity,total_price",
        "reviews.csv": "review,product_id",
        "shipment_deliveries.csv": "shipment_id,order_id,shipment_date,delivery_date",
    }
    for name, header in headers.items():
        text = (tmp_path / "landing" / name).read_text(encoding="utf-8")
        assert text.splitlines()[0] == header
        assert not text.endswith("\n"), f"{name} has a trailing newline"
        assert len(text.splitlines()) == 1 + counts[name.removesuffix(".csv")]
    assert {p.name for p in (tmp_path / "dims").iterdir()} == {
        "dim_addresses.csv",
        "dim_customers.csv",
        "dim_dates.csv",
        "dim_products.csv",
    }


def test_shape_of_the_real_data(tmp_path):
    generate(tmp_path, None, orders=ORDERS, as_of=AS_OF, seed=3, products=25, customers=25)
    orders = read(tmp_path / "orders.csv")
    reviews = read(tmp_path / "reviews.csv")
    shipments = read(tmp_path / "shipment_deliveries.csv")

    assert [int(o["order_id"]) for o in orders] == list(range(1, ORDERS + 1))
    assert {int(o["product_id"]) for o in orders} == set(range(1, 26))
    assert {int(o["customer_id"]) for o in orders} == set(range(1, 26))
    assert all(int(o["total_price"]) == int(o["unit_price"]) * int(o["quantity"]) for o in orders)

    # Order dates: about two years, ending at the as-of date, spread evenly (each quarter ~1/8).
    dates = [dt.date.fromisoformat(o["order_date"]) for o in orders]
    assert min(dates) >= AS_OF - dt.timedelta(days=729) and max(dates) == AS_OF
    quarters = Counter((AS_OF - d).days // 91 for d in dates if (AS_OF - d).days < 728)
    assert all(abs(n / ORDERS - 1 / 8) < 0.015 for n in quarters.values()), quarters

    # Reviews: ~0.72 per order, 1-5 stars.
    assert abs(len(reviews) / ORDERS - 0.72) < 0.001
    assert Counter(r["review"] for r in reviews).keys() == {"1", "2", "3", "4", "5"}
    assert {int(r["product_id"]) for r in reviews} == set(range(1, 26))

    # One shipment per order: ~2/3 never shipped, ~1/10 shipped not delivered, the rest delivered.
    assert [s["order_id"] for s in shipments] == [o["order_id"] for o in orders]
    never = sum(1 for s in shipments if not s["shipment_date"])
    undelivered = sum(1 for s in shipments if s["shipment_date"] and not s["delivery_date"])
    assert abs(never / ORDERS - 2 / 3) < 0.02
    assert abs(undelivered / ORDERS - 0.1) < 0.015
    assert all(not s["delivery_date"] for s in shipments if not s["shipment_date"])

    # Lags: shipped 1-6 days after the order, delivered 1-3 days after shipping, nothing after the as-of date.
    lags = Counter()
    for order, shipment in zip(dates, shipments, strict=True):
        if shipment["shipment_date"]:
            shipped = dt.date.fromisoformat(shipment["shipment_date"])
            lags["ship", (shipped - order).days] += 1
            assert shipped <= AS_OF
        if shipment["delivery_date"]:
            delivered = dt.date.fromisoformat(shipment["delivery_date"])
            lags["deliver", (delivered - shipped).days] += 1
            assert delivered <= AS_OF
    assert {days for kind, days in lags if kind == "ship"} == set(range(1, 7))
    assert {days for kind, days in lags if kind == "deliver"} == {1, 2, 3}


def test_products_and_customers_are_configurable(tmp_path):
    generate(tmp_path, None, orders=2000, as_of=AS_OF, products=3, customers=400)
    orders = read(tmp_path / "orders.csv")
    assert {int(o["product_id"]) for o in orders} == {1, 2, 3}
    assert max(int(o["customer_id"]) for o in orders) > 300
