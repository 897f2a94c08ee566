"""Removing a date's staging rows: TRUNCATE when the date is alone and the table is free, else DELETE."""

from __future__ import annotations

import datetime as dt

import luigi
import psycopg2
from psycopg2 import sql

from d2b_luigi import LoadStaging, RunAll, warehouse
from tests.conftest import TINY_DATE

OTHER = dt.date(2025, 6, 1)


def table_with(pipeline, dates: list[dt.date]) -> sql.Identifier:
    schema = pipeline.id + "_staging"
    pipeline.query(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    pipeline.query(f'CREATE TABLE "{schema}".t (ingestion_date date NOT NULL, n int)')
    for date in dates:
        pipeline.query(f'INSERT INTO "{schema}".t SELECT %s, g FROM generate_series(1, 100) AS g', (date,))
    return sql.Identifier(schema, "t")


def delete(pipeline, table: sql.Identifier, date: dt.date) -> None:
    with psycopg2.connect(pipeline.dsn) as connection, connection.cursor() as cursor:
        warehouse.delete_date(cursor, table, date)
    connection.close()


def state(pipeline) -> tuple[int, list[tuple]]:
    """The table's file number (TRUNCATE gives it a new one) and its rows per date."""
    schema = pipeline.id + "_staging"
    (filenode,) = pipeline.query(f"SELECT pg_relation_filenode('\"{schema}\".t')")[0]
    return filenode, pipeline.query(f'SELECT ingestion_date, count(*) FROM "{schema}".t GROUP BY 1 ORDER BY 1')


def test_a_date_alone_is_truncated(pipeline):
    table = table_with(pipeline, [TINY_DATE])
    before, _ = state(pipeline)
    delete(pipeline, table, TINY_DATE)
    after, rows = state(pipeline)
    assert rows == [] and after != before


def test_other_dates_rows_are_kept(pipeline):
    table = table_with(pipeline, [TINY_DATE, OTHER])
    before, _ = state(pipeline)
    delete(pipeline, table, TINY_DATE)
    after, rows = state(pipeline)
    assert rows == [(OTHER, 100)] and after == before


def test_a_table_in_use_is_not_waited_for(pipeline):
    table = table_with(pipeline, [TINY_DATE])
    reader = psycopg2.connect(pipeline.dsn)  # another date's step, reading the table in an open transaction
    try:
        with reader.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
        before, _ = state(pipeline)
        delete(pipeline, table, TINY_DATE)
        after, rows = state(pipeline)
        assert rows == [] and after == before
    finally:
        reader.close()


def test_cleanup_of_one_date_keeps_another_dates_staging_rows(pipeline):
    for date in (TINY_DATE, OTHER):
        pipeline.put_tiny(date)
    assert pipeline.build(LoadStaging(date=OTHER, name="orders")).status == luigi.LuigiStatusCode.SUCCESS
    loaded = pipeline.query("SELECT count(*) FROM {s}.orders")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT ingestion_date, count(*) FROM {s}.orders GROUP BY 1") == [(OTHER, loaded[0][0])]
