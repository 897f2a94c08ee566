-- severity: warn
-- Shipments whose dates parse but make no business sense: shipped or delivered before the order date, or
-- delivered without a shipment date. They are loaded and counted as they are.

-- agg_shipments counts them in its own join of the shipments to their orders ({staging}.audit_counts):
-- when it found none, this check does not join them again (the first condition, evaluated once, is false).
SELECT s.shipment_id, s.order_id, o.order_date, s.shipment_date, s.delivery_date,
    concat_ws('; ',
        CASE WHEN s.shipment_date < o.order_date THEN 'shipped before the order date' END,
        CASE WHEN s.delivery_date < o.order_date THEN 'delivered before the order date' END,
        CASE WHEN s.delivery_date IS NOT NULL AND s.shipment_date IS NULL THEN 'delivered without a shipment' END
    ) AS problem
FROM {shipment_deliveries} AS s
LEFT JOIN {orders} AS o ON o.order_id = s.order_id
WHERE (
        SELECT a.failing_rows FROM {staging}.audit_counts AS a
        WHERE a.ingestion_date = %(run_date)s AND a.check_name = 'shipment_dates_make_sense'
    ) IS DISTINCT FROM 0
  AND (s.shipment_date IS NOT NULL OR s.delivery_date IS NOT NULL)  -- a shipment without dates breaks none
  AND {analytics}.has_shipment_date_problem(o.order_date, s.shipment_date, s.delivery_date)
