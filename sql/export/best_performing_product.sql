-- Booleans as true/false (COPY would write t/f).
SELECT
    ingestion_date, product_name, most_ordered_day, is_public_holiday::text AS is_public_holiday, tt_review_points,
    pct_one_star_review, pct_two_star_review, pct_three_star_review, pct_four_star_review, pct_five_star_review,
    pct_early_shipments, pct_late_shipments
FROM {analytics}.best_performing_product
WHERE ingestion_date = %(run_date)s
