-- The run date's row of a written, not yet published table ({table}: {staging}.<analytics table>).
DELETE FROM {table} WHERE ingestion_date = %(run_date)s
