-- severity: error
-- Every count is zero or more.
SELECT 'agg_public_holiday' AS table_name, ingestion_date
FROM {staging}.agg_public_holiday
WHERE ingestion_date = %(run_date)s
  AND least(tt_order_hol_jan, tt_order_hol_feb, tt_order_hol_mar, tt_order_hol_apr, tt_order_hol_may,
            tt_order_hol_jun, tt_order_hol_jul, tt_order_hol_aug, tt_order_hol_sep, tt_order_hol_oct,
            tt_order_hol_nov, tt_order_hol_dec) < 0
UNION ALL
SELECT 'agg_shipments', ingestion_date
FROM {staging}.agg_shipments
WHERE ingestion_date = %(run_date)s AND least(tt_late_shipments, tt_undelivered_items) < 0
UNION ALL
SELECT 'best_performing_product', ingestion_date
FROM {staging}.best_performing_product
WHERE ingestion_date = %(run_date)s AND tt_review_points < 0
