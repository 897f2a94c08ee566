-- After the fast COPY: could any shipment need rejecting (a repeated shipment_id, an order_id that is
-- not in the date's orders)? true sends the load down the validating path. Second column: the non-NULL
-- dates loaded, which the load compares with the date fields written YYYY-MM-DD in the file.
-- The orders were loaded first with unique order_ids; when those fill a range without gaps and every
-- shipment's order_id falls inside it, each one has its order and the anti-join is not needed.
SET LOCAL work_mem = '64MB';  -- count(DISTINCT …) sorts in memory

WITH
shipped AS (
    SELECT
        count(*) AS n, count(DISTINCT shipment_id) AS ids, min(order_id) AS lo, max(order_id) AS hi,
        count(shipment_date) + count(delivery_date) AS dates
    FROM {partition}
),

ordered AS (
    SELECT count(*) AS n, min(order_id) AS lo, max(order_id) AS hi
    FROM {orders}
)

SELECT
    shipped.n <> shipped.ids
    OR CASE
        WHEN ordered.n = ordered.hi::bigint - ordered.lo + 1 AND shipped.lo >= ordered.lo AND shipped.hi <= ordered.hi
            THEN false
        ELSE EXISTS (
            SELECT 1 FROM {partition} AS s
            WHERE NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.order_id = s.order_id)
        )
    END,
    shipped.dates
FROM shipped CROSS JOIN ordered
