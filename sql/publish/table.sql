-- Replace the run date's published rows of one analytics table with its audited rows (none: none).
-- {published}: the analytics table; {audited}: its twin in the staging schema, same columns in the same order.
DELETE FROM {published} WHERE ingestion_date = %(run_date)s;

INSERT INTO {published}
SELECT * FROM {audited} WHERE ingestion_date = %(run_date)s;
