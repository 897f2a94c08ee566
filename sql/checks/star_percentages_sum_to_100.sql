-- severity: error
-- The five star percentages of the best product add up to 100 (within 0.05 for rounding).
SELECT ingestion_date, pct_sum
FROM (
    SELECT
        ingestion_date,
        pct_one_star_review + pct_two_star_review + pct_three_star_review
        + pct_four_star_review + pct_five_star_review AS pct_sum
    FROM {staging}.best_performing_product
    WHERE ingestion_date = %(run_date)s
) AS t
WHERE abs(pct_sum - 100) > 0.05
