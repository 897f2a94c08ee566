-- The valid rows of the date's orders file, for a shipments load whose orders load is not done (or failed):
-- shaped like the staging table, gone at the end of the step's transaction.
CREATE TEMP TABLE {table} (LIKE {staging}.orders) ON COMMIT DROP;
ALTER TABLE {table} ALTER COLUMN ingestion_date DROP NOT NULL;
