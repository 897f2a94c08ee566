-- ingestion_date is filled by COPY from the transaction's setting d2b.run_date.
CREATE TABLE IF NOT EXISTS {staging}.reviews (
    ingestion_date date     NOT NULL DEFAULT current_setting('d2b.run_date')::date,
    review         smallint NOT NULL CHECK (review BETWEEN 1 AND 5),
    product_id     integer  NOT NULL
);
