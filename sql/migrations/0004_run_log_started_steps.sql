-- issue 11: run_log records a step when it starts ('running', with its process's warehouse session), so a
-- step that started and never ended (kill -9, reboot) can be told from one that never started.
ALTER TABLE {analytics}.run_log DROP CONSTRAINT IF EXISTS run_log_status_check;
ALTER TABLE {analytics}.run_log ADD CONSTRAINT run_log_status_check CHECK (status IN ('running', 'done', 'failed'));
ALTER TABLE {analytics}.run_log ALTER COLUMN finished_at DROP NOT NULL;
ALTER TABLE {analytics}.run_log ALTER COLUMN duration_s DROP NOT NULL;
ALTER TABLE {analytics}.run_log ADD COLUMN IF NOT EXISTS backend_pid integer;
ALTER TABLE {analytics}.run_log ADD COLUMN IF NOT EXISTS backend_start timestamptz;
