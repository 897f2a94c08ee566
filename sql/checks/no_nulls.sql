-- severity: error
-- No analytics column is NULL (the DDL says NOT NULL; this also guards tables created by someone else), except
-- the best product's most_ordered_day and is_public_holiday, which are NULL together when it has no orders.
SELECT 'agg_public_holiday' AS table_name, ingestion_date
FROM {staging}.agg_public_holiday AS t
WHERE ingestion_date = %(run_date)s AND NOT (t IS NOT NULL)
UNION ALL
SELECT 'agg_shipments', ingestion_date
FROM {staging}.agg_shipments AS t
WHERE ingestion_date = %(run_date)s AND NOT (t IS NOT NULL)
UNION ALL
SELECT 'best_performing_product', ingestion_date
FROM {staging}.best_performing_product AS t
WHERE ingestion_date = %(run_date)s
  AND (NOT ((t.ingestion_date, t.product_name, t.tt_review_points, t.pct_one_star_review, t.pct_two_star_review,
             t.pct_three_star_review, t.pct_four_star_review, t.pct_five_star_review, t.pct_early_shipments,
             t.pct_late_shipments) IS NOT NULL)
       OR (t.most_ordered_day IS NULL) <> (t.is_public_holiday IS NULL))
