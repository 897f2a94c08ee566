"""What the pipeline knows about its data: the landing sources with their columns, and the analytics tables.

Nothing else in the project spells these lists out; tasks, validation, the CLI and the report read them here.
"""

from __future__ import annotations

# Each landing file (``{name}.csv``) and its columns with their kinds, in the order of the staging table.
# Kinds: ``int``, ``date``, ``date?`` (a date or empty), ``stars`` (an int of 1..5).
SOURCE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (
        ("order_id", "int"),
        ("customer_id", "int"),
        ("order_date", "date"),
        ("product_id", "int"),
        ("unit_price", "int"),
        ("quantity", "int"),
        ("total_price", "int"),
    ),
    "reviews": (("review", "stars"), ("product_id", "int")),
    "shipment_deliveries": (
        ("shipment_id", "int"),
        ("order_id", "int"),
        ("shipment_date", "date?"),
        ("delivery_date", "date?"),
    ),
}
SOURCES: tuple[str, ...] = tuple(SOURCE_COLUMNS)
COLUMNS: dict[str, list[str]] = {name: [column for column, _ in columns] for name, columns in SOURCE_COLUMNS.items()}

# Each analytics table and the staging tables its SQL reads.
TABLES: dict[str, tuple[str, ...]] = {
    "agg_public_holiday": ("orders",),
    "agg_shipments": ("orders", "shipment_deliveries"),
    "best_performing_product": ("orders", "reviews", "shipment_deliveries"),
}
