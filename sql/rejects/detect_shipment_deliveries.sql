-- After the fast COPY: could any shipment need rejecting (a repeated shipment_id, an order_id that is
-- not in the date's orders)? true sends the load down the validating path.
SET LOCAL work_mem = '64MB';  -- count(DISTINCT …) sorts in memory

SELECT
    count(*) <> count(DISTINCT shipment_id)
    OR EXISTS (
        SELECT 1 FROM {partition} AS s
        WHERE NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
    )
FROM {partition}
