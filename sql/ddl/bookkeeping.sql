-- The pipeline's own schemas and bookkeeping tables. Idempotent; run once per process. It takes its own
-- lock, so concurrent processes (and autocommit callers, as one implicit transaction) create them once.
SELECT pg_advisory_xact_lock(hashtext('d2b_luigi:bookkeeping'));
CREATE SCHEMA IF NOT EXISTS {staging};
CREATE SCHEMA IF NOT EXISTS {analytics};

-- One row per finished step (luigi's marker table, with stable update_ids such as 'LoadStaging:orders:2025-07-01').
CREATE TABLE IF NOT EXISTS {analytics}.task_markers (
    update_id    text PRIMARY KEY,
    target_table text NOT NULL,
    inserted     timestamptz NOT NULL DEFAULT now()
);

-- The reconciliation of every staging load: data lines in the file = rows loaded + rows rejected.
CREATE TABLE IF NOT EXISTS {analytics}.load_log (
    ingestion_date date NOT NULL,
    source         text NOT NULL,
    file_url       text NOT NULL,
    bytes          bigint NOT NULL,
    data_lines     bigint NOT NULL,
    rows_loaded    bigint NOT NULL,
    rows_rejected  bigint NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ingestion_date, source)
);

-- The data-quality results of every run date.
CREATE TABLE IF NOT EXISTS {analytics}.quality_results (
    ingestion_date date NOT NULL,
    check_name     text NOT NULL,
    severity       text NOT NULL,
    description    text NOT NULL,
    passed         boolean NOT NULL,
    failing_rows   bigint NOT NULL,
    sample         jsonb,
    checked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ingestion_date, check_name)
);

-- Rows of a landing file that could not be loaded, with the line they came from and why.
CREATE TABLE IF NOT EXISTS {staging}.rejected_rows (
    ingestion_date date NOT NULL,
    source         text NOT NULL,
    file_url       text NOT NULL,
    line_no        integer NOT NULL,
    raw_line       text NOT NULL,
    reason         text NOT NULL,
    rejected_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ingestion_date, source, line_no)
);

-- One row per task run (the run log): when it ran, how long, how it ended, how many rows it moved.
-- step_id is the task's stable id ('LoadStaging:2025-07-01:orders'); ingestion_date is NULL for steps
-- that are not per date (table DDL, dimensions). A run is recorded as 'running' when it starts, with the
-- warehouse session of its process; a 'running' row whose session is gone was interrupted (kill -9, reboot).
CREATE TABLE IF NOT EXISTS {analytics}.run_log (
    run_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id        text NOT NULL,
    task_family    text NOT NULL,
    ingestion_date date,
    status         text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    duration_s     double precision,
    backend_pid    integer,
    backend_start  timestamptz,
    rows_loaded    bigint,
    rows_rejected  bigint,
    rows_exported  bigint,
    error          text
);
CREATE INDEX IF NOT EXISTS run_log_step ON {analytics}.run_log (step_id, finished_at);
