-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- A SELECT of the date's row, which Transform inserts: PostgreSQL plans no parallel workers for a statement that writes.
-- Orders placed on a public holiday, per calendar month,
-- over the year before the run date: run_date - 1 year < order_date <= run_date.
SELECT
    %(run_date)s::date AS ingestion_date,
    count(*) FILTER (WHERE d.month_of_the_year_num = 1) AS tt_order_hol_jan,
    count(*) FILTER (WHERE d.month_of_the_year_num = 2) AS tt_order_hol_feb,
    count(*) FILTER (WHERE d.month_of_the_year_num = 3) AS tt_order_hol_mar,
    count(*) FILTER (WHERE d.month_of_the_year_num = 4) AS tt_order_hol_apr,
    count(*) FILTER (WHERE d.month_of_the_year_num = 5) AS tt_order_hol_may,
    count(*) FILTER (WHERE d.month_of_the_year_num = 6) AS tt_order_hol_jun,
    count(*) FILTER (WHERE d.month_of_the_year_num = 7) AS tt_order_hol_jul,
    count(*) FILTER (WHERE d.month_of_the_year_num = 8) AS tt_order_hol_aug,
    count(*) FILTER (WHERE d.month_of_the_year_num = 9) AS tt_order_hol_sep,
    count(*) FILTER (WHERE d.month_of_the_year_num = 10) AS tt_order_hol_oct,
    count(*) FILTER (WHERE d.month_of_the_year_num = 11) AS tt_order_hol_nov,
    count(*) FILTER (WHERE d.month_of_the_year_num = 12) AS tt_order_hol_dec
FROM {orders} AS o
JOIN {common}.dim_dates AS d ON d.calendar_dt = o.order_date
WHERE o.order_date > (%(run_date)s::date - interval '1 year')::date
  AND o.order_date <= %(run_date)s
  AND {analytics}.is_public_holiday(d.day_of_the_week_num, d.working_day);
