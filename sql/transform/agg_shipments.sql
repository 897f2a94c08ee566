-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- A SELECT of the date's row, which Transform inserts: PostgreSQL plans no parallel workers for a statement that writes.
-- Late: is_late_shipment (sql/migrations/0002_write_audit_publish.sql).
-- Undelivered: never shipped, never delivered, and ordered at least 15 days before the run date.
-- Only orders placed on or before the run date count (a shipment whose order is missing counts in neither).
-- The same pass counts the shipments whose dates make no sense (has_shipment_date_problem, migration 0007):
-- audit_shipment_dates_make_sense goes to {staging}.audit_counts, and that check joins the shipments to
-- their orders again only when it is not 0.
SELECT
    %(run_date)s::date AS ingestion_date,
    count(*) FILTER (
        WHERE o.order_date <= %(run_date)s
          AND {analytics}.is_late_shipment(o.order_date, s.shipment_date, s.delivery_date)
    ) AS tt_late_shipments,
    count(*) FILTER (
        WHERE s.shipment_date IS NULL AND s.delivery_date IS NULL AND o.order_date + 15 <= %(run_date)s::date
    ) AS tt_undelivered_items,
    count(*) FILTER (
        WHERE {analytics}.has_shipment_date_problem(o.order_date, s.shipment_date, s.delivery_date)
    ) AS audit_shipment_dates_make_sense
FROM {shipment_deliveries} AS s
LEFT JOIN {orders} AS o ON o.order_id = s.order_id;
