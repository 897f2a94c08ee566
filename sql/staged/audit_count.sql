-- How many rows break a data-quality check, as a transform counted them in its own pass (its column
-- audit_<check>): replaces the run date's count of that check. No count (the transform made no row): none.
DELETE FROM {staging}.audit_counts WHERE ingestion_date = %(run_date)s AND check_name = %(check_name)s;

INSERT INTO {staging}.audit_counts (ingestion_date, check_name, failing_rows)
SELECT %(run_date)s, %(check_name)s, %(failing_rows)s
WHERE %(failing_rows)s IS NOT NULL
