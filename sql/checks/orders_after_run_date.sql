-- severity: warn
-- Orders dated after the run date are in the snapshot; the analytics ignore them.
SELECT order_id, order_date
FROM {orders}
WHERE order_date > %(run_date)s
