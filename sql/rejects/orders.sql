-- Orders that parse but cannot stay, with the line and the column to blame: a repeated order_id (the
-- first line keeps it), an order_date that is not in dim_dates.
SELECT line_no, 'order_id' AS column_name, order_id || ' is already on line ' || first_line AS problem
FROM (
    SELECT line_no, order_id, min(line_no) OVER (PARTITION BY order_id) AS first_line
    FROM {partition}
) AS o
WHERE line_no > first_line
UNION ALL
SELECT o.line_no, 'order_date', o.order_date || ' is not in dim_dates'
FROM {partition} AS o
WHERE NOT EXISTS (SELECT 1 FROM {common}.dim_dates AS d WHERE d.calendar_dt = o.order_date)
