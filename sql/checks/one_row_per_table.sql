-- severity: error
-- Each analytics table has exactly one row for the run date.
SELECT t.table_name, t.row_count
FROM (
    VALUES
        ('agg_public_holiday',
         (SELECT count(*) FROM {analytics}.agg_public_holiday WHERE ingestion_date = %(run_date)s)),
        ('agg_shipments',
         (SELECT count(*) FROM {analytics}.agg_shipments WHERE ingestion_date = %(run_date)s)),
        ('best_performing_product',
         (SELECT count(*) FROM {analytics}.best_performing_product WHERE ingestion_date = %(run_date)s))
) AS t (table_name, row_count)
WHERE t.row_count <> 1
