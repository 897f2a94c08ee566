-- The landing file the date's last load of a source read (load_log), to tell whether a new load reads another.
SELECT file_url, fingerprint
FROM {analytics}.load_log
WHERE ingestion_date = %(run_date)s AND source = %(source)s
