-- The load reconciliation of one run date: data lines in each file = rows loaded + rows rejected.
SELECT source, file_url, bytes, data_lines, rows_loaded, rows_rejected,
    data_lines = rows_loaded + rows_rejected AS reconciles, loaded_at
FROM {analytics}.load_log
WHERE ingestion_date = %(run_date)s
ORDER BY source
