-- issue 9: a check of the staging rows gets its count from a transform that reads those rows in full
-- anyway, so the two do not both join the date's shipments to their orders (at 10M orders the join is the
-- largest piece of work after the loads).
--
-- has_shipment_date_problem: shipped or delivered before the order date, or delivered without a shipment
-- date. The one definition that sql/transform/agg_shipments.sql counts and
-- sql/checks/shipment_dates_make_sense.sql lists.
CREATE OR REPLACE FUNCTION {analytics}.has_shipment_date_problem(order_date date, shipment_date date, delivery_date date)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT shipment_date < order_date OR delivery_date < order_date OR (delivery_date IS NOT NULL AND shipment_date IS NULL) $$;

-- Per run date and check, the rows that break it as a transform counted them (the transform's column
-- audit_<check>), written with the transform's row. The check lists its rows only when that count is not 0,
-- or not there (a transform of an earlier release).
CREATE TABLE IF NOT EXISTS {staging}.audit_counts (
    ingestion_date date   NOT NULL,
    check_name     text   NOT NULL,
    failing_rows   bigint NOT NULL,
    PRIMARY KEY (ingestion_date, check_name)
);
