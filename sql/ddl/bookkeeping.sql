-- The pipeline's own schemas and bookkeeping tables. Idempotent; run once per process.
-- Sent as one statement string outside any step's transaction, so it runs as one short transaction
-- and the lock (against concurrent CREATE ... IF NOT EXISTS races) is not held for a whole step.
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
