"""Clean-up drops the date's staging partitions, and never waits for other dates' loads to do so."""

from __future__ import annotations

import datetime as dt

import luigi
import psycopg2

from d2b_luigi import RunAll
from tests.conftest import TINY_DATE

OTHER = dt.date(2025, 6, 1)


def partitions(pipeline) -> list[str]:
    return sorted(
        name
        for (name,) in pipeline.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (pipeline.id + "_staging",),
        )
    )


def test_the_dates_partitions_are_dropped(pipeline):
    pipeline.put_tiny()

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert partitions(pipeline) == []


def test_while_another_date_reads_staging_the_partitions_are_emptied_not_waited_for(pipeline):
    pipeline.put_tiny(TINY_DATE)
    pipeline.put_tiny(OTHER)
    assert pipeline.build(RunAll(date=OTHER)).status == luigi.LuigiStatusCode.SUCCESS
    reader = psycopg2.connect(pipeline.dsn)  # another date's step, reading staging in an open transaction
    try:
        with reader.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{pipeline.id}_staging".orders')

        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    finally:
        reader.close()

    assert partitions(pipeline) == ["orders_20250701"], "only the table being read is left, emptied"
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
