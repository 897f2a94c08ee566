-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- Late: is_late_shipment (sql/migrations/0002_write_audit_publish.sql).
-- Undelivered: never shipped, never delivered, and ordered at least 15 days before the run date.
-- Only orders placed on or before the run date count. Both need delivery_date IS NULL, so only those
-- shipments are joined to their orders.
INSERT INTO {staging}.agg_shipments (ingestion_date, tt_late_shipments, tt_undelivered_items)
SELECT
    %(run_date)s,
    count(*) FILTER (WHERE {analytics}.is_late_shipment(o.order_date, s.shipment_date, s.delivery_date)),
    count(*) FILTER (
        WHERE s.shipment_date IS NULL AND s.delivery_date IS NULL AND o.order_date + 15 <= %(run_date)s::date
    )
FROM {shipment_deliveries} AS s
JOIN {orders} AS o ON o.order_id = s.order_id
WHERE s.delivery_date IS NULL
  AND o.order_date <= %(run_date)s;
