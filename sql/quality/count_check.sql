-- How many rows a check returns. Alone, so PostgreSQL may scan and join in parallel workers (a CTE read
-- twice, for the count and a sample, would be one materialized scan in one process).
SELECT count(*) FROM ({check}) AS offending
