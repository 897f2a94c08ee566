-- One pass after the fast COPY: could any order need rejecting? true sends the load down the
-- validating path, which finds exactly which: a repeated order_id, an order_date not in dim_dates.
-- Second column: the non-NULL dates loaded, which the load compares with the date fields written
-- YYYY-MM-DD in the file.
SET LOCAL work_mem = '64MB';  -- count(DISTINCT …) sorts in memory

WITH loaded AS (
    SELECT count(*) AS n, count(DISTINCT order_id) AS ids, min(order_date) AS lo, max(order_date) AS hi
    FROM {partition}
)
SELECT
    n <> ids
    OR (n > 0 AND (SELECT count(*) FROM {common}.dim_dates WHERE calendar_dt BETWEEN lo AND hi) <> hi - lo + 1),
    n
FROM loaded
