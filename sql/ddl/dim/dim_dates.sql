-- Only run when seeding is on; in production the dimensions belong to someone else.
CREATE SCHEMA IF NOT EXISTS {common};

CREATE TABLE IF NOT EXISTS {common}.dim_dates (
    calendar_dt           date PRIMARY KEY,
    year_num              integer NOT NULL,
    month_of_the_year_num integer NOT NULL,
    day_of_the_month_num  integer NOT NULL,
    day_of_the_week_num   integer NOT NULL,
    working_day           boolean NOT NULL
);
