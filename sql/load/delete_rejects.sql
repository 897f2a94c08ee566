DELETE FROM {staging}.rejected_rows WHERE ingestion_date = %(run_date)s AND source = %(source)s
