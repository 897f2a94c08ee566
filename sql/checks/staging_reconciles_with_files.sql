-- severity: error
-- Each staging load of the date is recorded and reconciles with its file: data lines in the file =
-- rows loaded (COPY's own count, recorded in the load's transaction) + rows rejected.
SELECT s.source, l.data_lines, l.rows_loaded, l.rows_rejected
FROM (VALUES ('orders'), ('reviews'), ('shipment_deliveries')) AS s (source)
LEFT JOIN {analytics}.load_log AS l ON l.source = s.source AND l.ingestion_date = %(run_date)s
WHERE l.source IS NULL
   OR l.data_lines <> l.rows_loaded + l.rows_rejected
