-- 0001: the schema of the first release (6ed5369), the pipeline's own tables in {staging} and {analytics}.
-- Every later change is a new numbered file; this one never changes. IF NOT EXISTS lets a warehouse
-- built by that release (tables created one by one, no schema_migrations) adopt it as version 1.
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
-- that are not per date (table DDL, dimensions).
CREATE TABLE IF NOT EXISTS {analytics}.run_log (
    run_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id        text NOT NULL,
    task_family    text NOT NULL,
    ingestion_date date,
    status         text NOT NULL CHECK (status IN ('done', 'failed')),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL,
    duration_s     double precision NOT NULL,
    rows_loaded    bigint,
    rows_rejected  bigint,
    rows_exported  bigint,
    error          text
);
CREATE INDEX IF NOT EXISTS run_log_step ON {analytics}.run_log (step_id, finished_at);

-- Partitioned by run date: each load fills its own partition (see ddl/staging_partition.sql).
-- line_no is set only by the validating load, to name the line of a rejected row.
CREATE TABLE IF NOT EXISTS {staging}.orders (
    ingestion_date date    NOT NULL,
    order_id       integer NOT NULL,
    customer_id    integer NOT NULL,
    order_date     date    NOT NULL,
    product_id     integer NOT NULL,
    unit_price     integer NOT NULL,
    quantity       integer NOT NULL,
    total_price    integer NOT NULL,
    line_no        integer
) PARTITION BY LIST (ingestion_date);

-- Partitioned by run date: each load fills its own partition (see ddl/staging_partition.sql).
-- line_no is set only by the validating load, to name the line of a rejected row.
CREATE TABLE IF NOT EXISTS {staging}.reviews (
    ingestion_date date     NOT NULL,
    review         smallint NOT NULL CHECK (review BETWEEN 1 AND 5),
    product_id     integer  NOT NULL,
    line_no        integer
) PARTITION BY LIST (ingestion_date);

-- Partitioned by run date: each load fills its own partition (see ddl/staging_partition.sql).
-- line_no is set only by the validating load, to name the line of a rejected row.
CREATE TABLE IF NOT EXISTS {staging}.shipment_deliveries (
    ingestion_date date    NOT NULL,
    shipment_id    integer NOT NULL,
    order_id       integer NOT NULL,
    shipment_date  date,
    delivery_date  date,
    line_no        integer
) PARTITION BY LIST (ingestion_date);

CREATE TABLE IF NOT EXISTS {analytics}.agg_public_holiday (
    ingestion_date   date PRIMARY KEY,
    tt_order_hol_jan integer NOT NULL,
    tt_order_hol_feb integer NOT NULL,
    tt_order_hol_mar integer NOT NULL,
    tt_order_hol_apr integer NOT NULL,
    tt_order_hol_may integer NOT NULL,
    tt_order_hol_jun integer NOT NULL,
    tt_order_hol_jul integer NOT NULL,
    tt_order_hol_aug integer NOT NULL,
    tt_order_hol_sep integer NOT NULL,
    tt_order_hol_oct integer NOT NULL,
    tt_order_hol_nov integer NOT NULL,
    tt_order_hol_dec integer NOT NULL
);

CREATE TABLE IF NOT EXISTS {analytics}.agg_shipments (
    ingestion_date       date PRIMARY KEY,
    tt_late_shipments    integer NOT NULL,
    tt_undelivered_items integer NOT NULL
);

CREATE TABLE IF NOT EXISTS {analytics}.best_performing_product (
    ingestion_date        date PRIMARY KEY,
    product_name          varchar NOT NULL,
    most_ordered_day      date NOT NULL,
    is_public_holiday     boolean NOT NULL,
    tt_review_points      integer NOT NULL,
    pct_one_star_review   double precision NOT NULL,
    pct_two_star_review   double precision NOT NULL,
    pct_three_star_review double precision NOT NULL,
    pct_four_star_review  double precision NOT NULL,
    pct_five_star_review  double precision NOT NULL,
    pct_early_shipments   double precision NOT NULL,
    pct_late_shipments    double precision NOT NULL
);
