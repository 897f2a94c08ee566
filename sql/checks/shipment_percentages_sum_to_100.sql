-- severity: error
-- Early + late shipment percentages add up to 100 (within 0.05), or are both 0.
SELECT ingestion_date, pct_early_shipments, pct_late_shipments
FROM {staging}.best_performing_product
WHERE ingestion_date = %(run_date)s
  AND abs(pct_early_shipments + pct_late_shipments - 100) > 0.05
  AND NOT (pct_early_shipments = 0 AND pct_late_shipments = 0)
