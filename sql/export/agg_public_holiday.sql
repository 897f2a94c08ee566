SELECT
    ingestion_date,
    tt_order_hol_jan, tt_order_hol_feb, tt_order_hol_mar, tt_order_hol_apr,
    tt_order_hol_may, tt_order_hol_jun, tt_order_hol_jul, tt_order_hol_aug,
    tt_order_hol_sep, tt_order_hol_oct, tt_order_hol_nov, tt_order_hol_dec
FROM {analytics}.agg_public_holiday
WHERE ingestion_date = %(run_date)s
