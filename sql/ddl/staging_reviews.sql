-- Partitioned by run date: each load fills its own partition (see ddl/staging_partition.sql).
-- line_no is set only by the validating load, to name the line of a rejected row.
CREATE TABLE IF NOT EXISTS {staging}.reviews (
    ingestion_date date     NOT NULL,
    review         smallint NOT NULL CHECK (review BETWEEN 1 AND 5),
    product_id     integer  NOT NULL,
    line_no        integer
) PARTITION BY LIST (ingestion_date);
