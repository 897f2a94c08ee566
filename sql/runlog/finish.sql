-- A step ended: its row of the run log gets the outcome, the end, the duration and the rows it moved.
UPDATE {analytics}.run_log
SET status = %(status)s, finished_at = %(finished_at)s, duration_s = %(duration_s)s,
    rows_loaded = %(rows_loaded)s, rows_rejected = %(rows_rejected)s, rows_exported = %(rows_exported)s, error = %(error)s
WHERE run_id = %(run_id)s
