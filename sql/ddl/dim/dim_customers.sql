-- Only run when seeding is on; in production the dimensions belong to someone else.
CREATE SCHEMA IF NOT EXISTS {common};

CREATE TABLE IF NOT EXISTS {common}.dim_customers (
    customer_id   integer PRIMARY KEY,
    customer_name varchar NOT NULL,
    postal_code   integer NOT NULL
);
