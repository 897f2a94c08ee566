-- severity: error
-- The best product's most-ordered day exists in dim_dates (it is NULL only when the product has no orders).
SELECT b.ingestion_date, b.most_ordered_day
FROM {staging}.best_performing_product AS b
LEFT JOIN {common}.dim_dates AS d ON d.calendar_dt = b.most_ordered_day
WHERE b.ingestion_date = %(run_date)s AND b.most_ordered_day IS NOT NULL AND d.calendar_dt IS NULL
