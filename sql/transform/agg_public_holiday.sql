-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- Orders placed on a public holiday, per calendar month,
-- over the year before the run date: run_date - 1 year < order_date <= run_date.
INSERT INTO {staging}.agg_public_holiday (
    ingestion_date,
    tt_order_hol_jan, tt_order_hol_feb, tt_order_hol_mar, tt_order_hol_apr,
    tt_order_hol_may, tt_order_hol_jun, tt_order_hol_jul, tt_order_hol_aug,
    tt_order_hol_sep, tt_order_hol_oct, tt_order_hol_nov, tt_order_hol_dec
)
SELECT
    %(run_date)s,
    count(*) FILTER (WHERE d.month_of_the_year_num = 1),
    count(*) FILTER (WHERE d.month_of_the_year_num = 2),
    count(*) FILTER (WHERE d.month_of_the_year_num = 3),
    count(*) FILTER (WHERE d.month_of_the_year_num = 4),
    count(*) FILTER (WHERE d.month_of_the_year_num = 5),
    count(*) FILTER (WHERE d.month_of_the_year_num = 6),
    count(*) FILTER (WHERE d.month_of_the_year_num = 7),
    count(*) FILTER (WHERE d.month_of_the_year_num = 8),
    count(*) FILTER (WHERE d.month_of_the_year_num = 9),
    count(*) FILTER (WHERE d.month_of_the_year_num = 10),
    count(*) FILTER (WHERE d.month_of_the_year_num = 11),
    count(*) FILTER (WHERE d.month_of_the_year_num = 12)
FROM {orders} AS o
JOIN {common}.dim_dates AS d ON d.calendar_dt = o.order_date
WHERE o.order_date > (%(run_date)s::date - interval '1 year')::date
  AND o.order_date <= %(run_date)s
  AND {analytics}.is_public_holiday(d.day_of_the_week_num, d.working_day);
