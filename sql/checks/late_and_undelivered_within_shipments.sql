-- severity: error
-- Late shipments plus undelivered items never exceed the shipments loaded for the date.
SELECT a.ingestion_date, a.tt_late_shipments, a.tt_undelivered_items, s.shipments
FROM {analytics}.agg_shipments AS a
CROSS JOIN (
    SELECT count(*) AS shipments
    FROM {staging}.shipment_deliveries
    WHERE ingestion_date = %(run_date)s
) AS s
WHERE a.ingestion_date = %(run_date)s
  AND a.tt_late_shipments + a.tt_undelivered_items > s.shipments
