"""sql/migrations/0002 brings a warehouse at schema version 1 (no publish step) to this release's schema,
keeping its finished dates finished; applied by the migration runner, as an upgrade applies it."""

from __future__ import annotations

import json

import luigi
import psycopg2

from d2b_luigi import RunAll, migrations
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())

# What version 1 had not: the unpublished twins, nullable busiest day, the publish and export markers, the rule
# functions, the record of migration 0002 (and of the later ones, which are written to apply again).
DOWNGRADE = """
DROP TABLE {s}.agg_public_holiday, {s}.agg_shipments, {s}.best_performing_product;
ALTER TABLE {a}.best_performing_product ALTER most_ordered_day SET NOT NULL, ALTER is_public_holiday SET NOT NULL;
DELETE FROM {a}.task_markers WHERE update_id LIKE 'Publish:%%' OR update_id LIKE 'Export:%%';
DROP FUNCTION {a}.is_late_shipment, {a}.is_early_shipment, {a}.is_public_holiday;
DELETE FROM {a}.schema_migrations WHERE version >= 2;
"""


def schema(pipeline) -> list[tuple]:
    return pipeline.query(
        "SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable"
        " FROM information_schema.columns WHERE table_schema IN (%s, %s)"
        " UNION ALL SELECT routine_schema, routine_name, '', 0, data_type, '' FROM information_schema.routines"
        " WHERE routine_schema = %s ORDER BY 1, 2, 4",
        (pipeline.id + "_staging", pipeline.id + "_analytics", pipeline.id + "_analytics"),
    )


def markers(pipeline) -> list[str]:
    return sorted(m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers"))


def test_a_finished_date_of_the_previous_release_stays_finished(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    fresh_schema, fresh_markers = schema(pipeline), markers(pipeline)
    pipeline.query(DOWNGRADE)
    runs = pipeline.query("SELECT count(*) FROM {a}.run_log")

    connection = psycopg2.connect(pipeline.dsn)
    try:
        applied = migrations.upgrade(connection, pipeline.id + "_staging", pipeline.id + "_analytics")
    finally:
        connection.close()

    assert [m.name for m in applied] == [m.name for m in migrations.available() if m.version >= 2]
    assert applied[0].name == "0002_write_audit_publish"
    assert schema(pipeline) == fresh_schema, "the same as a warehouse built by this release"
    assert markers(pipeline) == fresh_markers
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.query("SELECT count(*) FROM {a}.run_log") == runs, "no history is redone"
