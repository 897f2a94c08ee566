-- severity: warn
-- Shipments whose dates parse but make no business sense: shipped or delivered before the order date, or
-- delivered without a shipment date. They are loaded and counted as they are.
-- A shipment without either date breaks none of these: only the others are joined to their orders.
SELECT s.shipment_id, s.order_id, o.order_date, s.shipment_date, s.delivery_date,
    concat_ws('; ',
        CASE WHEN s.shipment_date < o.order_date THEN 'shipped before the order date' END,
        CASE WHEN s.delivery_date < o.order_date THEN 'delivered before the order date' END,
        CASE WHEN s.delivery_date IS NOT NULL AND s.shipment_date IS NULL THEN 'delivered without a shipment' END
    ) AS problem
FROM {shipment_deliveries} AS s
LEFT JOIN {orders} AS o ON o.order_id = s.order_id
WHERE (s.shipment_date IS NOT NULL OR s.delivery_date IS NOT NULL)
  AND (s.shipment_date < o.order_date
       OR s.delivery_date < o.order_date
       OR (s.delivery_date IS NOT NULL AND s.shipment_date IS NULL))
