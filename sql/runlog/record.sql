-- Append one task run to the run log.
INSERT INTO {analytics}.run_log (
    step_id, task_family, ingestion_date, status, started_at, finished_at, duration_s,
    rows_loaded, rows_rejected, rows_exported, error
)
VALUES (
    %(step_id)s, %(task_family)s, %(ingestion_date)s, %(status)s, %(started_at)s, %(finished_at)s, %(duration_s)s,
    %(rows_loaded)s, %(rows_rejected)s, %(rows_exported)s, %(error)s
)
