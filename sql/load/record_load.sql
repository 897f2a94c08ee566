-- The reconciliation of one staging load and the landing file it read (a shipments load: also the orders file it
-- checked against); replaces the row of an earlier load of the same date.
INSERT INTO {analytics}.load_log (
    ingestion_date, source, file_url, fingerprint, orders_url, orders_fingerprint, bytes, data_lines, rows_loaded,
    rows_rejected
)
VALUES (
    %(run_date)s, %(source)s, %(file_url)s, %(fingerprint)s, %(orders_url)s, %(orders_fingerprint)s, %(bytes)s,
    %(data_lines)s, %(rows_loaded)s, %(rows_rejected)s
)
ON CONFLICT (ingestion_date, source) DO UPDATE SET
    file_url = excluded.file_url,
    fingerprint = excluded.fingerprint,
    orders_url = excluded.orders_url,
    orders_fingerprint = excluded.orders_fingerprint,
    bytes = excluded.bytes,
    data_lines = excluded.data_lines,
    rows_loaded = excluded.rows_loaded,
    rows_rejected = excluded.rows_rejected,
    loaded_at = now()
