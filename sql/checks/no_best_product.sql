-- severity: warn
-- No best product: the reviews file of the run date has no rows, so best_performing_product has no row
-- and its export holds the header only.
SELECT 'no best product' AS problem, l.file_url, l.rows_loaded AS reviews
FROM {analytics}.load_log AS l
WHERE l.ingestion_date = %(run_date)s AND l.source = 'reviews' AND l.rows_loaded = 0
