-- ingestion_date is filled by COPY from the transaction's setting d2b.run_date.
CREATE TABLE IF NOT EXISTS {staging}.shipment_deliveries (
    ingestion_date date    NOT NULL DEFAULT current_setting('d2b.run_date')::date,
    shipment_id    integer NOT NULL,
    order_id       integer NOT NULL,
    shipment_date  date,
    delivery_date  date
);
