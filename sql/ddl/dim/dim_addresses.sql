-- Only run when seeding is on; in production the dimensions belong to someone else.
CREATE SCHEMA IF NOT EXISTS {common};

CREATE TABLE IF NOT EXISTS {common}.dim_addresses (
    postal_code integer PRIMARY KEY,
    country     varchar NOT NULL,
    region      varchar NOT NULL,
    state       varchar NOT NULL,
    address     varchar NOT NULL
);
