-- Shipments that parse but cannot stay, with the line and the column to blame: a repeated shipment_id
-- (the first line keeps it), an order_id that is not among the date's valid orders (when they could be
-- read: check_orders), naming the orders file's line when that order's line was rejected.
SELECT line_no, 'shipment_id' AS column_name, shipment_id || ' is already on line ' || first_line AS problem
FROM (
    SELECT line_no, shipment_id, min(line_no) OVER (PARTITION BY shipment_id) AS first_line
    FROM {partition}
) AS s
WHERE line_no > first_line
UNION ALL
SELECT
    s.line_no,
    'order_id',
    'order ' || s.order_id || coalesce(
        ' is on line ' || r.line_no || ' of the orders file, which was rejected', ' is not in the orders file'
    )
FROM {partition} AS s
LEFT JOIN unnest(%(rejected_order_ids)s::bigint[], %(rejected_order_lines)s::int[]) AS r (order_id, line_no)
    ON r.order_id = s.order_id
WHERE %(check_orders)s AND NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
