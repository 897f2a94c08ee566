-- After the fast COPY, from the file's own rows: could any shipment need rejecting (a repeated
-- shipment_id)? true sends the load down the validating path. Second column: the non-NULL dates loaded,
-- which the load compares with the date fields written YYYY-MM-DD in the file. Then the range of its
-- order_ids, for detect_missing_orders, which runs once the date's orders are there: this part does not
-- wait for them, so it runs beside the orders load.
SET LOCAL work_mem = '64MB';  -- count(DISTINCT …) sorts in memory

SELECT
    count(*) <> count(DISTINCT shipment_id),
    count(shipment_date) + count(delivery_date),
    min(order_id),
    max(order_id)
FROM {partition}
