-- Shipments that parse but cannot stay: a repeated shipment_id (the first line keeps it), an order_id
-- that is not in the date's orders file (or whose order line was rejected).
SELECT line_no, 'column 1 (shipment_id): ' || shipment_id || ' is already on line ' || first_line AS reason
FROM (
    SELECT line_no, shipment_id, min(line_no) OVER (PARTITION BY shipment_id) AS first_line
    FROM {partition}
) AS s
WHERE line_no > first_line
UNION ALL
SELECT s.line_no, 'column 2 (order_id): order ' || s.order_id || ' is not in the orders file'
FROM {partition} AS s
WHERE NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
