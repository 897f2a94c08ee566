SELECT ingestion_date, tt_late_shipments, tt_undelivered_items
FROM {analytics}.agg_shipments
WHERE ingestion_date = %(run_date)s
