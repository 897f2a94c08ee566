-- severity: error
-- No analytics column is NULL (the DDL says NOT NULL; this also guards tables created by someone else).
SELECT 'agg_public_holiday' AS table_name, ingestion_date
FROM {analytics}.agg_public_holiday AS t
WHERE ingestion_date = %(run_date)s AND NOT (t IS NOT NULL)
UNION ALL
SELECT 'agg_shipments', ingestion_date
FROM {analytics}.agg_shipments AS t
WHERE ingestion_date = %(run_date)s AND NOT (t IS NOT NULL)
UNION ALL
SELECT 'best_performing_product', ingestion_date
FROM {analytics}.best_performing_product AS t
WHERE ingestion_date = %(run_date)s AND NOT (t IS NOT NULL)
