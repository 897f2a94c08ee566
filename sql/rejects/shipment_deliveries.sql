-- Shipments that parse but cannot stay, with the line and the column to blame: a repeated shipment_id
-- (the first line keeps it), an order_id that is not among the date's valid orders (when they could be
-- read: check_orders).
SELECT line_no, 'shipment_id' AS column_name, shipment_id || ' is already on line ' || first_line AS problem
FROM (
    SELECT line_no, shipment_id, min(line_no) OVER (PARTITION BY shipment_id) AS first_line
    FROM {partition}
) AS s
WHERE line_no > first_line
UNION ALL
SELECT s.line_no, 'order_id', 'order ' || s.order_id || ' is not in the orders file'
FROM {partition} AS s
WHERE %(check_orders)s AND NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
