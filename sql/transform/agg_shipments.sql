-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- A SELECT of the date's row, which Transform inserts: PostgreSQL plans no parallel workers for a statement that writes.
-- Late: is_late_shipment (sql/migrations/0002_write_audit_publish.sql).
-- Undelivered: never shipped, never delivered, and ordered at least 15 days before the run date.
-- Only orders placed on or before the run date count. Both need delivery_date IS NULL, so only those
-- shipments are joined to their orders.
SELECT
    %(run_date)s::date AS ingestion_date,
    count(*) FILTER (WHERE {analytics}.is_late_shipment(o.order_date, s.shipment_date, s.delivery_date))
        AS tt_late_shipments,
    count(*) FILTER (
        WHERE s.shipment_date IS NULL AND s.delivery_date IS NULL AND o.order_date + 15 <= %(run_date)s::date
    ) AS tt_undelivered_items
FROM {shipment_deliveries} AS s
JOIN {orders} AS o ON o.order_id = s.order_id
WHERE s.delivery_date IS NULL
  AND o.order_date <= %(run_date)s;
