-- Statistics for the freshly loaded partition, so the checks and transforms that follow get hash joins
-- rather than nested loops. A small sample is plenty for that and costs ~15 ms per million rows.
SET LOCAL default_statistics_target = 10;
ANALYZE {partition};
