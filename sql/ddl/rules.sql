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
