-- issue 9: the rule functions of migration 0002 are PARALLEL SAFE (they only compare their arguments), so a
-- query that calls them may use PostgreSQL's parallel workers. A function not marked so makes the whole query
-- run in one process, even where the planner inlines it.
ALTER FUNCTION {analytics}.is_late_shipment(date, date, date) PARALLEL SAFE;
ALTER FUNCTION {analytics}.is_early_shipment(date, date) PARALLEL SAFE;
ALTER FUNCTION {analytics}.is_public_holiday(integer, boolean) PARALLEL SAFE;
