-- severity: error
-- Each analytics table has exactly one row for the run date; best_performing_product has none when the
-- reviews file of the date had no rows (there is no best product then: see no_best_product).
SELECT t.table_name, t.row_count
FROM (
    VALUES
        ('agg_public_holiday',
         (SELECT count(*) FROM {staging}.agg_public_holiday WHERE ingestion_date = %(run_date)s), 1),
        ('agg_shipments',
         (SELECT count(*) FROM {staging}.agg_shipments WHERE ingestion_date = %(run_date)s), 1),
        ('best_performing_product',
         (SELECT count(*) FROM {staging}.best_performing_product WHERE ingestion_date = %(run_date)s),
         (SELECT least(rows_loaded, 1) FROM {analytics}.load_log
          WHERE ingestion_date = %(run_date)s AND source = 'reviews'))
) AS t (table_name, row_count, expected)
WHERE t.row_count IS DISTINCT FROM t.expected
