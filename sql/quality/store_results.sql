-- Replace the stored data-quality results of one run date with %(results)s (a JSON array).
DELETE FROM {analytics}.quality_results WHERE ingestion_date = %(run_date)s;

INSERT INTO {analytics}.quality_results
    (ingestion_date, check_name, severity, description, passed, failing_rows, sample)
SELECT %(run_date)s, r.check_name, r.severity, r.description, r.passed, r.failing_rows, r.sample
FROM jsonb_to_recordset(%(results)s::jsonb)
    AS r (check_name text, severity text, description text, passed boolean, failing_rows bigint, sample jsonb);
