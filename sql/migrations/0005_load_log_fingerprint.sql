-- issue 8: a load records which landing file it read (lake.fingerprint: ETag and size on S3, size and mtime in a
-- folder), and a shipments load which orders file it checked its order_ids against. A date's steps count as done
-- only while the lake still holds those files. Loads recorded before this release have none (NULL): they count
-- as current, so an upgraded warehouse does not redo its history.
ALTER TABLE {analytics}.load_log ADD COLUMN IF NOT EXISTS fingerprint text;
ALTER TABLE {analytics}.load_log ADD COLUMN IF NOT EXISTS orders_url text;
ALTER TABLE {analytics}.load_log ADD COLUMN IF NOT EXISTS orders_fingerprint text;
