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
