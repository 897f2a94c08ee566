CREATE TABLE IF NOT EXISTS {analytics}.agg_shipments (
    ingestion_date       date PRIMARY KEY,
    tt_late_shipments    integer NOT NULL,
    tt_undelivered_items integer NOT NULL
);

-- The written, not yet published rows (write, audit, publish): the transform writes here, the checks audit
-- them, Publish copies them into the analytics table. Same columns, in the same order.
CREATE TABLE IF NOT EXISTS {staging}.agg_shipments (LIKE {analytics}.agg_shipments INCLUDING ALL);
