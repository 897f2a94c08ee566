-- What a date's completeness checks need, in one round trip: which of %(update_ids)s have a marker, and the
-- landing files each of the date's loads read (load_log). to_jsonb reads the fingerprints as NULL while the
-- schema is older than migration 0005 (luigi checks completeness before MigrateSchema runs).
SELECT
    'marker' AS kind, update_id AS name, NULL AS file_url, NULL AS fingerprint, NULL AS orders_url,
    NULL AS orders_fingerprint
FROM {analytics}.task_markers
WHERE update_id = ANY(%(update_ids)s)
UNION ALL
SELECT
    'load', l.source, l.file_url, to_jsonb(l) ->> 'fingerprint', to_jsonb(l) ->> 'orders_url',
    to_jsonb(l) ->> 'orders_fingerprint'
FROM {analytics}.load_log AS l
WHERE l.ingestion_date = %(run_date)s
