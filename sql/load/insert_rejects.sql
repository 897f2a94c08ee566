INSERT INTO {staging}.rejected_rows (ingestion_date, source, file_url, line_no, raw_line, reason) VALUES %s
