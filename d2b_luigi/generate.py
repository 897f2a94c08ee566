"""Deterministic sample data: the three daily landing files and the dimension CSVs.

Streams in batches of 10,000 rows, so memory stays flat for any ``--orders`` (10M: ~60 MB, ~15 s).
Same seed, same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

SAMPLE_AS_OF = dt.date(2026, 11, 24)
DEFAULT_HOLIDAYS = ("01-01", "05-01", "12-25", "12-26")
CATEGORIES = ("Tools", "Garden", "Kitchen", "Office", "Toys")
BATCH = 10_000
DAYS = 730
NEVER_SHIPPED = 2 / 3
NOT_DELIVERED = 0.1
# 1..5 stars, drawn uniformly from this table: weights 1, 1, 2, 3, 3 out of 10.
STARS = ("1", "2", "3", "3", "4", "4", "4", "5", "5", "5")
REVIEWS_PER_ORDER = 0.72


def is_holiday(day: dt.date, holidays: Iterable[str]) -> bool:
    return any(h in (day.isoformat(), day.isoformat()[5:]) for h in holidays)


def dim_dates_rows(start: dt.date, end: dt.date, holidays: Iterable[str]) -> Iterator[str]:
    """dim_dates CSV lines: a working day is a weekday that is not a holiday."""
    holidays = tuple(holidays)
    day = start
    while day <= end:
        weekday = day.isoweekday()
        working = weekday <= 5 and not is_holiday(day, holidays)
        yield f"{day.isoformat()},{day.year},{day.month},{day.day},{weekday},{'true' if working else 'false'}"
        day += dt.timedelta(days=1)


DIM_DATES_HEADER = "calendar_dt,year_num,month_of_the_year_num,day_of_the_month_num,day_of_the_week_num,working_day"


def dim_dates_csv(
    holidays: Iterable[str], start: dt.date = dt.date(2000, 1, 1), end: dt.date = dt.date(2040, 12, 31)
) -> str:
    return "\n".join([DIM_DATES_HEADER, *dim_dates_rows(start, end, holidays)]) + "\n"


class _CsvFile:
    """A CSV written the way the real lake writes it: no newline after the last line; renamed when complete."""

    def __init__(self, path: Path, header: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.out = open(self.tmp, "w", encoding="utf-8", newline="")
        self.out.write(header)
        self.count = 0

    def write(self, rows: list[str]) -> None:
        """Append a batch of lines (a batch keeps memory flat and the write calls few)."""
        if rows:
            self.out.write("\n")
            self.out.write("\n".join(rows))
            self.count += len(rows)

    def close(self) -> int:
        self.out.close()
        self.tmp.replace(self.path)
        return self.count


def _write(path: Path, header: str, rows: Iterable[str]) -> int:
    out = _CsvFile(path, header)
    out.write(list(rows))
    return out.close()


def generate(
    landing: Path,
    dimensions: Path | None,
    orders: int = 5000,
    as_of: dt.date = SAMPLE_AS_OF,
    seed: int = 42,
    products: int = 25,
    customers: int = 25,
    holidays: Iterable[str] = DEFAULT_HOLIDAYS,
) -> dict[str, int]:
    """Write orders.csv, reviews.csv and shipment_deliveries.csv to ``landing`` and the dimensions to
    ``dimensions``; return the row count of each file.

    Shape: order dates spread over the two years up to ``as_of``; one shipment per order, about two
    thirds never shipped, a tenth shipped but not delivered, the rest delivered (shipping lag 1-6 days,
    delivery lag 1-3 days); about 0.72 reviews per order with 1-5 stars. Nothing happens after ``as_of``:
    a shipment or delivery that would is left empty.
    """
    first_day = as_of - dt.timedelta(days=DAYS - 1)
    # Dates as text by their offset from first_day, up to the latest possible delivery (6 + 3 days late).
    day = [(first_day + dt.timedelta(days=i)).isoformat() for i in range(DAYS + 9)]
    last = DAYS - 1
    price = [0, *(5 * (1 + (p * 7) % 40) for p in range(1, products + 1))]
    rand = random.Random(seed).random
    order_file = _CsvFile(
        landing / "orders.csv", "order_id,customer_id,order_date,product_id,unit_price,quantity,total_price"
    )
    shipment_file = _CsvFile(landing / "shipment_deliveries.csv", "shipment_id,order_id,shipment_date,delivery_date")
    for start in range(1, orders + 1, BATCH):
        order_rows, shipment_rows = [], []
        for order_id in range(start, min(start + BATCH, orders + 1)):
            ordered = int(rand() * DAYS)
            product = 1 + int(rand() * products)
            quantity = 1 + int(rand() * 5)
            customer = 1 + int(rand() * customers)
            fate = rand()
            shipped = ordered + 1 + int(rand() * 6)
            delivered = shipped + 1 + int(rand() * 3)
            unit = price[product]
            order_rows.append(f"{order_id},{customer},{day[ordered]},{product},{unit},{quantity},{unit * quantity}")
            if fate < NEVER_SHIPPED or shipped > last:
                shipment_rows.append(f"{order_id},{order_id},,")
            elif fate < NEVER_SHIPPED + NOT_DELIVERED or delivered > last:
                shipment_rows.append(f"{order_id},{order_id},{day[shipped]},")
            else:
                shipment_rows.append(f"{order_id},{order_id},{day[shipped]},{day[delivered]}")
        order_file.write(order_rows)
        shipment_file.write(shipment_rows)
    counts = {"orders": order_file.close(), "shipment_deliveries": shipment_file.close()}
    review_file = _CsvFile(landing / "reviews.csv", "review,product_id")
    reviews = round(orders * REVIEWS_PER_ORDER)
    for start in range(0, reviews, BATCH):
        review_file.write(
            [
                f"{STARS[int(rand() * len(STARS))]},{1 + int(rand() * products)}"
                for _ in range(min(BATCH, reviews - start))
            ]
        )
    counts["reviews"] = review_file.close()
    if dimensions is not None:
        write_dimensions(dimensions, products, customers, holidays, first_day, as_of)
    return counts


def write_dimensions(
    folder: Path, products: int, customers: int, holidays: Iterable[str], first_day: dt.date, as_of: dt.date
) -> None:
    _write(
        folder / "dim_products.csv",
        "product_id,product_category,product_name",
        (f"{p},{CATEGORIES[p % len(CATEGORIES)]},Product {p:02d}" for p in range(1, products + 1)),
    )
    _write(
        folder / "dim_customers.csv",
        "customer_id,customer_name,postal_code",
        (f"{c},Customer {c:02d},{10000 + c % 10}" for c in range(1, customers + 1)),
    )
    _write(
        folder / "dim_addresses.csv",
        "postal_code,country,region,state,address",
        (f"{10000 + i},Nigeria,Region {i % 3},State {i},{i} Market Road" for i in range(10)),
    )
    start = dt.date(first_day.year - 1, 1, 1)
    _write(folder / "dim_dates.csv", DIM_DATES_HEADER, dim_dates_rows(start, dt.date(as_of.year + 1, 12, 31), holidays))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m d2b_luigi.generate", description=__doc__)
    parser.add_argument("--landing", type=Path, required=True, help="folder for the three daily files")
    parser.add_argument("--dimensions", type=Path, help="folder for the dimension CSVs")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=SAMPLE_AS_OF)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--products", type=int, default=25)
    parser.add_argument("--customers", type=int, default=25)
    args = parser.parse_args(argv)
    counts = generate(args.landing, args.dimensions, args.orders, args.as_of, args.seed, args.products, args.customers)
    print(" ".join(f"{name}={count}" for name, count in counts.items()))


if __name__ == "__main__":
    main()
