-- severity: warn
-- Orders dated after the run date are in the snapshot; the analytics ignore them.
SELECT order_id, order_date
FROM {staging}.orders
WHERE ingestion_date = %(run_date)s AND order_date > %(run_date)s
