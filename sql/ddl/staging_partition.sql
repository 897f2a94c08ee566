-- The run date's partition of a staging table, its ingestion_date filled in by default.
CREATE TABLE IF NOT EXISTS {partition} PARTITION OF {parent} (ingestion_date DEFAULT %(run_date)s)
FOR VALUES IN (%(run_date)s);
