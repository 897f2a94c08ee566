-- The migration runner's own record (d2b_luigi/migrations.py): one row per applied sql/migrations file.
-- Created before the first migration, under the runner's lock, so it is never itself migrated.
CREATE SCHEMA IF NOT EXISTS {staging};
CREATE SCHEMA IF NOT EXISTS {analytics};
CREATE TABLE IF NOT EXISTS {analytics}.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL
);
