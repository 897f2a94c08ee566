CREATE TABLE IF NOT EXISTS {analytics}.agg_shipments (
    ingestion_date       date PRIMARY KEY,
    tt_late_shipments    integer NOT NULL,
    tt_undelivered_items integer NOT NULL
);
