-- 0002: write, audit, publish (design.md); the decided edge cases of business-rules.md; the business rules'
-- words ("late", "early", "public holiday") defined once.

-- A best product without orders on or before the run date has no most-ordered day (and so no holiday flag).
ALTER TABLE {analytics}.best_performing_product
    ALTER COLUMN most_ordered_day DROP NOT NULL,
    ALTER COLUMN is_public_holiday DROP NOT NULL;

-- The written, not yet published rows: the transforms write here, the checks audit them, Publish copies them
-- into the analytics table. Same columns in the same order: a later change to one table changes its twin.
CREATE TABLE {staging}.agg_public_holiday (LIKE {analytics}.agg_public_holiday INCLUDING ALL);
CREATE TABLE {staging}.agg_shipments (LIKE {analytics}.agg_shipments INCLUDING ALL);
CREATE TABLE {staging}.best_performing_product (LIKE {analytics}.best_performing_product INCLUDING ALL);

-- Dates written by the previous release keep their state. Their rows were written straight into the analytics
-- tables: they become the audited rows too; the rows of a date whose checks never passed were not audited, so
-- they are withdrawn from the analytics tables; a date whose checks passed counts as published and exported
-- (an export whose file is missing is written again by the next run).
INSERT INTO {staging}.agg_public_holiday SELECT * FROM {analytics}.agg_public_holiday;
INSERT INTO {staging}.agg_shipments SELECT * FROM {analytics}.agg_shipments;
INSERT INTO {staging}.best_performing_product SELECT * FROM {analytics}.best_performing_product;

CREATE TEMPORARY TABLE audited_dates ON COMMIT DROP AS
SELECT split_part(update_id, ':', 2) AS run_date
FROM {analytics}.task_markers
WHERE update_id LIKE 'QualityCheck:%%';  -- %% reads as % with or without parameters

DELETE FROM {analytics}.agg_public_holiday WHERE ingestion_date::text NOT IN (SELECT run_date FROM audited_dates);
DELETE FROM {analytics}.agg_shipments WHERE ingestion_date::text NOT IN (SELECT run_date FROM audited_dates);
DELETE FROM {analytics}.best_performing_product
WHERE ingestion_date::text NOT IN (SELECT run_date FROM audited_dates);

INSERT INTO {analytics}.task_markers (update_id, target_table)
SELECT m.update_id, 'migration 0002'
FROM audited_dates AS a
CROSS JOIN LATERAL (
    VALUES
        ('Publish:' || a.run_date),
        ('Export:' || a.run_date || ':agg_public_holiday'),
        ('Export:' || a.run_date || ':agg_shipments'),
        ('Export:' || a.run_date || ':best_performing_product')
) AS m (update_id)
ON CONFLICT (update_id) DO NOTHING;

-- The business rules' words, each defined once (business-rules.md) and used by every transform and check
-- that needs it. Plain IMMUTABLE SQL functions: the planner inlines them, so they cost nothing.

-- A late shipment: shipped 6 or more days after its order and not delivered.
CREATE OR REPLACE FUNCTION {analytics}.is_late_shipment(order_date date, shipment_date date, delivery_date date)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT shipment_date >= order_date + 6 AND delivery_date IS NULL $$;

-- An early shipment: shipped (shipment_date not NULL) less than 6 days after its order.
CREATE OR REPLACE FUNCTION {analytics}.is_early_shipment(order_date date, shipment_date date)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT shipment_date < order_date + 6 $$;

-- A public holiday: a weekday (ISO 1 = Monday .. 5 = Friday) that dim_dates marks as not a working day.
CREATE OR REPLACE FUNCTION {analytics}.is_public_holiday(day_of_the_week_num integer, working_day boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT day_of_the_week_num BETWEEN 1 AND 5 AND NOT working_day $$;
