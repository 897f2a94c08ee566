-- severity: warn
-- Snapshots only grow: a file with fewer data rows than the same source's last loaded date before this one.
SELECT cur.source, prev.ingestion_date AS previous_date, prev.data_lines AS previous_rows, cur.data_lines AS rows
FROM {analytics}.load_log AS cur
CROSS JOIN LATERAL (
    SELECT p.ingestion_date, p.data_lines
    FROM {analytics}.load_log AS p
    WHERE p.source = cur.source AND p.ingestion_date < cur.ingestion_date
    ORDER BY p.ingestion_date DESC
    LIMIT 1
) AS prev
WHERE cur.ingestion_date = %(run_date)s AND cur.data_lines < prev.data_lines
