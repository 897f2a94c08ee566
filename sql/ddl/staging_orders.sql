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
