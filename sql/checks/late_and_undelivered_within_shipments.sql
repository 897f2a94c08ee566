-- severity: error
-- Late shipments plus undelivered items never exceed the shipments loaded for the date.
SELECT a.ingestion_date, a.tt_late_shipments, a.tt_undelivered_items, l.rows_loaded AS shipments
FROM {staging}.agg_shipments AS a
JOIN {analytics}.load_log AS l ON l.ingestion_date = a.ingestion_date AND l.source = 'shipment_deliveries'
WHERE a.ingestion_date = %(run_date)s
  AND a.tt_late_shipments + a.tt_undelivered_items > l.rows_loaded
