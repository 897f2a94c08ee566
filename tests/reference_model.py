"""The business rules of /work/shared/business-rules.md, written again in plain Python for the tests.

Written from the rules' text, not from the project's SQL, so a test can compare the pipeline's rows
with an independent answer. Input: the date's good rows (as the landing files hold them, a ``Snapshot``)
and the dimension rows; output: each analytics table's row for the run date, as {column: value} with ISO
strings for dates (the form ``tests.conftest.Pipeline.analytics`` reads), or None for no row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
STARS = ("one", "two", "three", "four", "five")

# The columns of each analytics table, in the order the exports write them.
COLUMNS = {
    "agg_public_holiday": ["ingestion_date", *(f"tt_order_hol_{m}" for m in MONTHS)],
    "agg_shipments": ["ingestion_date", "tt_late_shipments", "tt_undelivered_items"],
    "best_performing_product": [
        "ingestion_date",
        "product_name",
        "most_ordered_day",
        "is_public_holiday",
        "tt_review_points",
        *(f"pct_{s}_star_review" for s in STARS),
        "pct_early_shipments",
        "pct_late_shipments",
    ],
}


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    order_date: dt.date
    product_id: int
    unit_price: int
    quantity: int
    total_price: int


@dataclass(frozen=True)
class Review:
    review: int
    product_id: int


@dataclass(frozen=True)
class Shipment:
    shipment_id: int
    order_id: int
    shipment_date: dt.date | None
    delivery_date: dt.date | None


@dataclass(frozen=True)
class Day:
    """A dim_dates row: what the rules need of it."""

    day_of_the_week_num: int
    working_day: bool


@dataclass(frozen=True)
class Snapshot:
    """A date's three files: their good rows."""

    orders: tuple[Order, ...]
    reviews: tuple[Review, ...]
    shipments: tuple[Shipment, ...]

    def rows(self, name: str) -> tuple:
        """The rows of the landing file ``name`` (orders, reviews, shipment_deliveries)."""
        return {"orders": self.orders, "reviews": self.reviews, "shipment_deliveries": self.shipments}[name]


@dataclass(frozen=True)
class Dimensions:
    dim_dates: dict[dt.date, Day]
    product_names: dict[int, str]


def is_public_holiday(day: dt.date, dim_dates: dict[dt.date, Day]) -> bool:
    """A weekday (1..5) that dim_dates marks as not a working day."""
    row = dim_dates.get(day)
    return row is not None and 1 <= row.day_of_the_week_num <= 5 and not row.working_day


def pct(part: int, whole: int) -> float:
    """100 × part / whole rounded to 2 decimals, halves away from zero (as a person rounds)."""
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def year_before(run_date: dt.date) -> dt.date:
    """``run_date - 1 year``; 29 February goes to 28 February."""
    try:
        return run_date.replace(year=run_date.year - 1)
    except ValueError:
        return run_date.replace(year=run_date.year - 1, day=28)


def is_late(shipment: Shipment, order: Order) -> bool:
    return (
        shipment.shipment_date is not None
        and shipment.shipment_date >= order.order_date + dt.timedelta(days=6)
        and shipment.delivery_date is None
    )


def is_early(shipment: Shipment, order: Order) -> bool:
    return shipment.shipment_date is not None and shipment.shipment_date < order.order_date + dt.timedelta(days=6)


def agg_public_holiday(run_date: dt.date, orders: tuple[Order, ...], dim_dates: dict[dt.date, Day]) -> dict:
    start = year_before(run_date)
    per_month = Counter(
        o.order_date.month
        for o in orders
        if start < o.order_date <= run_date and is_public_holiday(o.order_date, dim_dates)
    )
    return {
        "ingestion_date": run_date.isoformat(),
        **{f"tt_order_hol_{m}": per_month[i] for i, m in enumerate(MONTHS, 1)},
    }


def agg_shipments(run_date: dt.date, orders: tuple[Order, ...], shipments: tuple[Shipment, ...]) -> dict:
    counted = {o.order_id: o for o in orders if o.order_date <= run_date}
    pairs = [(s, counted[s.order_id]) for s in shipments if s.order_id in counted]
    late = sum(is_late(s, o) for s, o in pairs)
    undelivered = sum(
        s.shipment_date is None and s.delivery_date is None and o.order_date + dt.timedelta(days=15) <= run_date
        for s, o in pairs
    )
    return {"ingestion_date": run_date.isoformat(), "tt_late_shipments": late, "tt_undelivered_items": undelivered}


def best_performing_product(run_date: dt.date, files: Snapshot, dims: Dimensions) -> dict | None:
    if not files.reviews:
        return None  # no best product: no row
    stars: dict[int, list[int]] = defaultdict(list)
    for r in files.reviews:
        stars[r.product_id].append(r.review)
    # the highest total points; ties: more reviews, then the lowest product_id
    best = min(stars, key=lambda p: (-sum(stars[p]), -len(stars[p]), p))
    points = stars[best]

    its_orders = [o for o in files.orders if o.product_id == best and o.order_date <= run_date]
    per_day: dict[dt.date, list[Order]] = defaultdict(list)
    for o in its_orders:
        per_day[o.order_date].append(o)
    # the most orders; ties: the larger total quantity, then the earliest date
    busiest = (
        min(per_day, key=lambda d: (-len(per_day[d]), -sum(o.quantity for o in per_day[d]), d)) if per_day else None
    )

    by_id = {o.order_id: o for o in its_orders}
    pairs = [(s, by_id[s.order_id]) for s in files.shipments if s.order_id in by_id]
    early = sum(is_early(s, o) for s, o in pairs)
    late = sum(is_late(s, o) for s, o in pairs)
    return {
        "ingestion_date": run_date.isoformat(),
        "product_name": dims.product_names[best],
        "most_ordered_day": busiest.isoformat() if busiest else None,
        "is_public_holiday": is_public_holiday(busiest, dims.dim_dates) if busiest else None,
        "tt_review_points": sum(points),
        **{f"pct_{name}_star_review": pct(points.count(n), len(points)) for n, name in enumerate(STARS, 1)},
        "pct_early_shipments": pct(early, early + late) if early + late else 0.0,
        "pct_late_shipments": pct(late, early + late) if early + late else 0.0,
    }


def analytics(run_date: dt.date, files: Snapshot, dims: Dimensions) -> dict[str, dict | None]:
    """Each analytics table's row for ``run_date``."""
    return {
        "agg_public_holiday": agg_public_holiday(run_date, files.orders, dims.dim_dates),
        "agg_shipments": agg_shipments(run_date, files.orders, files.shipments),
        "best_performing_product": best_performing_product(run_date, files, dims),
    }
