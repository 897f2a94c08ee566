-- The stored data-quality results of one run date, failures first.
SELECT check_name, severity, description, passed, failing_rows, sample, checked_at
FROM {analytics}.quality_results
WHERE ingestion_date = %(run_date)s
ORDER BY passed, severity, check_name
