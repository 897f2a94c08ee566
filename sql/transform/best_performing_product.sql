-- {orders}, {reviews}, {shipment_deliveries}: the run date's partitions of the staging tables.
-- A SELECT of the date's row, which Transform inserts: PostgreSQL plans no parallel workers for a statement that writes.
-- The product with the highest total review points (ties: more reviews, then lowest product_id),
-- its review-star distribution, its busiest order day and its early/late shipment shares.
-- No reviews: no best product, no row. A best product without orders on or before the run date: its
-- most_ordered_day and is_public_holiday are NULL and both shipment shares 0.
-- Reviews pick the product first; then only its orders are read and only those are joined to the
-- shipments. best_orders is inlined, not materialized: the planner then knows its row count and key
-- distribution and hashes it (the small side), where a materialized CTE made it hash all shipments.
WITH
stars AS (  -- counted per product and star first: one count per row, and the sums run over a few rows
    SELECT product_id, review, count(*) AS n
    FROM {reviews}
    GROUP BY product_id, review
),

best AS (
    SELECT
        product_id,
        sum(review * n)::bigint AS points,
        sum(n)::bigint AS reviews,
        coalesce(sum(n) FILTER (WHERE review = 1), 0)::bigint AS one_star,
        coalesce(sum(n) FILTER (WHERE review = 2), 0)::bigint AS two_star,
        coalesce(sum(n) FILTER (WHERE review = 3), 0)::bigint AS three_star,
        coalesce(sum(n) FILTER (WHERE review = 4), 0)::bigint AS four_star,
        coalesce(sum(n) FILTER (WHERE review = 5), 0)::bigint AS five_star
    FROM stars
    GROUP BY product_id
    ORDER BY points DESC, reviews DESC, product_id
    LIMIT 1
),

best_orders AS NOT MATERIALIZED (
    SELECT order_id, order_date, quantity
    FROM {orders}
    WHERE order_date <= %(run_date)s
      AND product_id = (SELECT product_id FROM best)
),

busiest_day AS (
    SELECT order_date
    FROM best_orders
    GROUP BY order_date
    ORDER BY count(*) DESC, sum(quantity) DESC, order_date
    LIMIT 1
),

shipping AS (
    SELECT
        count(*) FILTER (WHERE {analytics}.is_early_shipment(o.order_date, s.shipment_date)) AS early,
        count(*) FILTER (WHERE {analytics}.is_late_shipment(o.order_date, s.shipment_date, s.delivery_date)) AS late
    FROM {shipment_deliveries} AS s
    JOIN best_orders AS o ON o.order_id = s.order_id
    WHERE s.shipment_date IS NOT NULL  -- early and late are both shipped: the others need not be joined
)

SELECT
    %(run_date)s::date AS ingestion_date,
    p.product_name,
    bd.order_date AS most_ordered_day,
    CASE WHEN bd.order_date IS NOT NULL
        THEN coalesce({analytics}.is_public_holiday(dd.day_of_the_week_num, dd.working_day), false) END
        AS is_public_holiday,
    b.points AS tt_review_points,
    round(100.0 * b.one_star / b.reviews, 2) AS pct_one_star_review,
    round(100.0 * b.two_star / b.reviews, 2) AS pct_two_star_review,
    round(100.0 * b.three_star / b.reviews, 2) AS pct_three_star_review,
    round(100.0 * b.four_star / b.reviews, 2) AS pct_four_star_review,
    round(100.0 * b.five_star / b.reviews, 2) AS pct_five_star_review,
    CASE WHEN sh.early + sh.late = 0 THEN 0 ELSE round(100.0 * sh.early / (sh.early + sh.late), 2) END
        AS pct_early_shipments,
    CASE WHEN sh.early + sh.late = 0 THEN 0 ELSE round(100.0 * sh.late / (sh.early + sh.late), 2) END
        AS pct_late_shipments
FROM best AS b
JOIN {common}.dim_products AS p ON p.product_id = b.product_id
LEFT JOIN busiest_day AS bd ON true
CROSS JOIN shipping AS sh
LEFT JOIN {common}.dim_dates AS dd ON dd.calendar_dt = bd.order_date;
