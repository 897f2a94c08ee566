-- severity: error
-- Each staging load reconciles: data lines in the file = rows loaded + rows rejected, and the
-- staging table holds exactly the rows loaded.
WITH staged AS (
    SELECT 'orders' AS source, count(*) AS rows_in_staging
    FROM {staging}.orders WHERE ingestion_date = %(run_date)s
    UNION ALL
    SELECT 'reviews', count(*)
    FROM {staging}.reviews WHERE ingestion_date = %(run_date)s
    UNION ALL
    SELECT 'shipment_deliveries', count(*)
    FROM {staging}.shipment_deliveries WHERE ingestion_date = %(run_date)s
)
SELECT s.source, l.data_lines, l.rows_loaded, l.rows_rejected, s.rows_in_staging
FROM staged AS s
LEFT JOIN {analytics}.load_log AS l ON l.source = s.source AND l.ingestion_date = %(run_date)s
WHERE l.source IS NULL
   OR l.data_lines <> l.rows_loaded + l.rows_rejected
   OR l.rows_loaded <> s.rows_in_staging
