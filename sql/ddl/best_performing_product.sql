CREATE TABLE IF NOT EXISTS {analytics}.best_performing_product (
    ingestion_date        date PRIMARY KEY,
    product_name          varchar NOT NULL,
    most_ordered_day      date,
    is_public_holiday     boolean,
    tt_review_points      integer NOT NULL,
    pct_one_star_review   double precision NOT NULL,
    pct_two_star_review   double precision NOT NULL,
    pct_three_star_review double precision NOT NULL,
    pct_four_star_review  double precision NOT NULL,
    pct_five_star_review  double precision NOT NULL,
    pct_early_shipments   double precision NOT NULL,
    pct_late_shipments    double precision NOT NULL
);

-- The written, not yet published rows (write, audit, publish): the transform writes here, the checks audit
-- them, Publish copies them into the analytics table. Same columns, in the same order.
CREATE TABLE IF NOT EXISTS {staging}.best_performing_product (LIKE {analytics}.best_performing_product INCLUDING ALL);
