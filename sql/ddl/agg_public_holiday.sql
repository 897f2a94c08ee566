CREATE TABLE IF NOT EXISTS {analytics}.agg_public_holiday (
    ingestion_date   date PRIMARY KEY,
    tt_order_hol_jan integer NOT NULL,
    tt_order_hol_feb integer NOT NULL,
    tt_order_hol_mar integer NOT NULL,
    tt_order_hol_apr integer NOT NULL,
    tt_order_hol_may integer NOT NULL,
    tt_order_hol_jun integer NOT NULL,
    tt_order_hol_jul integer NOT NULL,
    tt_order_hol_aug integer NOT NULL,
    tt_order_hol_sep integer NOT NULL,
    tt_order_hol_oct integer NOT NULL,
    tt_order_hol_nov integer NOT NULL,
    tt_order_hol_dec integer NOT NULL
);

-- The written, not yet published rows (write, audit, publish): the transform writes here, the checks audit
-- them, Publish copies them into the analytics table. Same columns, in the same order.
CREATE TABLE IF NOT EXISTS {staging}.agg_public_holiday (LIKE {analytics}.agg_public_holiday INCLUDING ALL);
