-- What one staging load loaded and rejected (its reconciliation row in load_log).
SELECT rows_loaded, rows_rejected
FROM {analytics}.load_log
WHERE ingestion_date = %(run_date)s AND source = %(source)s
