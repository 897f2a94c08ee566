-- The first %(shown)s rejected lines of each landing file of a run date, with how many it has in all.
SELECT source, file_url, line_no, reason, raw_line, rejected
FROM (
    SELECT r.source, r.file_url, r.line_no, r.reason, left(r.raw_line, 200) AS raw_line,
        row_number() OVER (PARTITION BY r.source ORDER BY r.line_no) AS n,
        count(*) OVER (PARTITION BY r.source) AS rejected
    FROM {staging}.rejected_rows AS r
    WHERE r.ingestion_date = %(run_date)s
) AS first_rejects
WHERE n <= %(shown)s
ORDER BY source, line_no
