-- The run date's partition of a staging table, its ingestion_date filled in by default.
-- Created apart and then attached: ATTACH takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so
-- loads and reads of other dates go on meanwhile (CREATE TABLE … PARTITION OF would wait for them).
CREATE TABLE {partition} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE {partition} ALTER COLUMN ingestion_date SET DEFAULT %(run_date)s;
ALTER TABLE {parent} ATTACH PARTITION {partition} FOR VALUES IN (%(run_date)s);
