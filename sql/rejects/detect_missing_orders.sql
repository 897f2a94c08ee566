-- After detect_shipment_deliveries: could a shipment's order_id be missing from the date's orders? true
-- sends the load down the validating path. The orders were loaded with unique order_ids; when those fill
-- a range without gaps and every shipment's order_id (lo .. hi) falls inside it, each one has its order
-- and the anti-join is not needed.
WITH ordered AS (
    SELECT count(*) AS n, min(order_id) AS lo, max(order_id) AS hi
    FROM {orders}
)

SELECT
    CASE
        WHEN ordered.n = ordered.hi::bigint - ordered.lo + 1
             AND %(lo)s::bigint >= ordered.lo AND %(hi)s::bigint <= ordered.hi
            THEN false
        ELSE EXISTS (
            SELECT 1 FROM {partition} AS s
            WHERE NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
        )
    END
FROM ordered
