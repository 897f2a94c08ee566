-- How many rows a check returns, and the first few of them as JSON.
WITH offending AS ({check})
SELECT
    count(*),
    (SELECT jsonb_agg(s) FROM (SELECT * FROM offending LIMIT %(sample_rows)s) AS s)
FROM offending
