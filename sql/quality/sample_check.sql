-- The first few rows a failing check returns, as JSON.
SELECT coalesce(jsonb_agg(s), '[]'::jsonb) FROM (SELECT * FROM ({check}) AS offending LIMIT %(sample_rows)s) AS s
