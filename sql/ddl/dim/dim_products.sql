-- Only run when seeding is on; in production the dimensions belong to someone else.
CREATE SCHEMA IF NOT EXISTS {common};

CREATE TABLE IF NOT EXISTS {common}.dim_products (
    product_id       integer PRIMARY KEY,
    product_category varchar NOT NULL,
    product_name     varchar NOT NULL
);
