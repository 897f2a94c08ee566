-- ingestion_date is filled by COPY from the transaction's setting d2b.run_date.
CREATE TABLE IF NOT EXISTS {staging}.orders (
    ingestion_date date    NOT NULL DEFAULT current_setting('d2b.run_date')::date,
    order_id       integer NOT NULL,
    customer_id    integer NOT NULL,
    order_date     date    NOT NULL,
    product_id     integer NOT NULL,
    unit_price     integer NOT NULL,
    quantity       integer NOT NULL,
    total_price    integer NOT NULL
);
