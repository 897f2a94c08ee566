"""Versioned schema migrations: applied in order, once, each in its own transaction; never backwards."""

from __future__ import annotations

import multiprocessing
import shutil

import luigi
import psycopg2
import pytest

from d2b_luigi import MigrateSchema, RunAll, migrations, warehouse
from d2b_luigi.cli import main as d2b
from d2b_luigi.config import settings
from tests.conftest import TINY_DATE

RELEASE = migrations.available()


def recorded(pipeline) -> list[tuple[int, str]]:
    return pipeline.query("SELECT version, name FROM {a}.schema_migrations ORDER BY version")


def table_exists(pipeline, name: str) -> bool:
    return pipeline.query("SELECT to_regclass(%s) IS NOT NULL", (name.format(a=pipeline.id + "_analytics"),))[0][0]


def upgrade(pipeline, folder=migrations.MIGRATIONS_DIR, dry_run=False) -> list[str]:
    connection = warehouse.connect(pipeline.dsn)
    try:
        done = migrations.upgrade(
            connection, pipeline.id + "_staging", pipeline.id + "_analytics", dry_run=dry_run, folder=folder
        )
    finally:
        connection.close()
    return [m.name for m in done]


@pytest.fixture
def folder(tmp_path):
    """A copy of this release's migrations, to add test migrations to."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations.MIGRATIONS_DIR, copy)
    yield copy
    migrations.scan.cache_clear()


def add(folder, name: str, text: str) -> None:
    (folder / name).write_text(text)
    migrations.scan.cache_clear()


def test_the_first_migration_is_the_release_schema_and_numbers_are_unique():
    assert RELEASE[0].name == "0001_initial"
    assert [m.version for m in RELEASE] == sorted({m.version for m in RELEASE})
    assert migrations.release_version() == RELEASE[-1].version


def test_a_new_warehouse_gets_every_migration_once_in_order(pipeline):
    assert upgrade(pipeline, dry_run=True) == [m.name for m in RELEASE]
    assert not table_exists(pipeline, "{a}.task_markers"), "a dry run changes nothing"

    assert upgrade(pipeline) == [m.name for m in RELEASE]
    assert upgrade(pipeline) == []

    assert recorded(pipeline) == [(m.version, m.name) for m in RELEASE]
    for name in ("task_markers", "load_log", "quality_results", "run_log", "agg_public_holiday", "agg_shipments"):
        assert table_exists(pipeline, "{a}." + name), name
    common = pipeline.query("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (pipeline.common,))
    assert common == [(0,)], "the dimension schema is never created by a migration"


def test_migrate_command_applies_then_says_nothing_to_do(pipeline, capsys):
    d2b(["migrate", "--dry-run"])
    out = capsys.readouterr().out
    assert f"would apply {RELEASE[0]}" in out
    assert not table_exists(pipeline, "{a}.task_markers")

    d2b(["migrate"])
    out = capsys.readouterr().out
    assert f"applied {RELEASE[0]}" in out
    assert f"now at version {RELEASE[-1].version} ({RELEASE[-1].name})" in out

    d2b(["migrate"])
    assert "nothing to apply" in capsys.readouterr().out


def test_a_release_older_than_the_warehouse_refuses_in_one_line(pipeline, capsys):
    upgrade(pipeline)
    pipeline.query(
        "INSERT INTO {a}.schema_migrations (version, name, checksum, applied_by) VALUES (9999, '9999_future', '', 'h')"
    )
    expected = f"version 9999 (9999_future), newer than this release's version {RELEASE[-1].version}"

    with pytest.raises(migrations.SchemaTooNew, match=r"version 9999 \(9999_future\)") as refused:
        MigrateSchema().complete()
    assert expected in str(refused.value)
    assert "\n" not in str(refused.value)

    pipeline.put_tiny()
    result = pipeline.build(RunAll(date=TINY_DATE))
    assert result.status != luigi.LuigiStatusCode.SUCCESS
    assert not pipeline.query("SELECT update_id FROM {a}.task_markers"), "nothing ran"

    with pytest.raises(SystemExit) as exited:
        d2b(["migrate"])
    assert expected in str(exited.value.code)


def test_a_broken_migration_rolls_back_keeps_the_version_and_names_its_file(pipeline, folder):
    upgrade(pipeline, folder)
    add(folder, "0900_add_notes.sql", "CREATE TABLE {analytics}.notes (note text);\n")
    add(folder, "0901_broken.sql", "CREATE TABLE {analytics}.half_done (x int);\nSELECT 1 / 0;\n")

    with pytest.raises(migrations.MigrationError) as failed:
        upgrade(pipeline, folder)

    message = str(failed.value)
    assert "0901_broken.sql failed" in message
    assert "stays at version 900 (0900_add_notes)" in message
    assert "division by zero" in message
    assert recorded(pipeline)[-1] == (900, "0900_add_notes"), "the migration before it stays applied"
    assert table_exists(pipeline, "{a}.notes")
    assert not table_exists(pipeline, "{a}.half_done"), "nothing of the broken migration is left"

    add(folder, "0901_broken.sql", "CREATE TABLE {analytics}.half_done (x int);\n")  # fixed
    assert upgrade(pipeline, folder) == ["0901_broken"]
    assert table_exists(pipeline, "{a}.half_done")


def test_a_migration_naming_the_dimension_schema_is_refused_before_anything_runs(pipeline, folder):
    upgrade(pipeline, folder)
    add(folder, "0900_touch_common.sql", "ALTER TABLE {common}.dim_dates ADD COLUMN x int;\n")

    with pytest.raises(migrations.MigrationError, match=r"0900_touch_common\.sql: bad placeholder 'common'"):
        upgrade(pipeline, folder)
    assert recorded(pipeline) == [(m.version, m.name) for m in RELEASE]


def test_a_warehouse_whose_migration_differs_from_the_release_is_refused():
    with pytest.raises(migrations.MigrationError, match="recorded migration 0001 as 0001_other"):
        migrations.pending({1: "0001_other"})
    release = {m.version: m.name for m in RELEASE}
    assert migrations.pending(release) == []
    with pytest.raises(migrations.MigrationError, match="recorded migration 0000_elsewhere, which this release does"):
        migrations.pending(release | {0: "0000_elsewhere"})


def test_a_migration_numbered_below_the_applied_version_is_refused(folder):
    add(folder, "0950_late.sql", "SELECT 1;\n")
    add(folder, "0990_later.sql", "SELECT 1;\n")
    applied = {m.version: m.name for m in RELEASE} | {990: "0990_later"}
    with pytest.raises(migrations.MigrationError, match=r"0950_late\.sql is older than .* renumber it after 0990"):
        migrations.pending(applied, folder)


def _upgrade_in_child(dsn: str, staging: str, analytics: str, folder, results) -> None:
    connection = psycopg2.connect(dsn)
    try:
        results.put([m.name for m in migrations.upgrade(connection, staging, analytics, folder=folder)])
    except Exception as exc:  # reported to the test, which fails on it
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def test_two_processes_migrating_at_once_apply_each_migration_once(pipeline, folder):
    # not idempotent: applied twice, the second CREATE TABLE would fail; slow, so the two runs overlap
    add(folder, "0900_slow.sql", "CREATE TABLE {analytics}.once (x int);\nSELECT pg_sleep(1);\n")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    args = (pipeline.dsn, pipeline.id + "_staging", pipeline.id + "_analytics", folder, results)
    children = [context.Process(target=_upgrade_in_child, args=args) for _ in range(2)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)

    assert all(isinstance(o, list) for o in outcomes), outcomes
    applied = sorted(name for outcome in outcomes for name in outcome)
    assert applied == sorted([*(m.name for m in RELEASE), "0900_slow"]), outcomes
    assert [v for v, _ in recorded(pipeline)] == [*(m.version for m in RELEASE), 900]


def test_the_schema_target_is_cached_once_current(pipeline):
    s = settings()
    assert not warehouse.SchemaTarget(s).exists()
    warehouse.ensure_schema(s)
    assert warehouse.SchemaTarget(s).exists()
    pipeline.query("DROP TABLE {a}.schema_migrations")
    assert warehouse.SchemaTarget(s).exists(), "checked once per process, then cached"


def test_status_shows_the_schema_version_and_what_an_upgrade_would_bring(pipeline, capsys):
    last = RELEASE[-1]
    with pytest.raises(SystemExit):
        d2b(["status", "--date", str(TINY_DATE)])
    assert f"schema version 0 (no schema yet); this release brings version {last.version} ({last.name})" in (
        capsys.readouterr().out
    )

    upgrade(pipeline)
    with pytest.raises(SystemExit):
        d2b(["status", "--date", str(TINY_DATE)])
    assert f"\nschema version {last.version} ({last.name}), this release's\n" in capsys.readouterr().out


def test_migrate_warns_when_an_applied_migration_was_edited(pipeline, capsys):
    upgrade(pipeline)
    pipeline.query("UPDATE {a}.schema_migrations SET checksum = 'edited' WHERE version = %s", (RELEASE[0].version,))

    d2b(["migrate"])

    out = capsys.readouterr().out
    assert f"warning: {RELEASE[0]} changed after it was applied on " in out
    assert "nothing to apply" in out


def test_runall_with_a_broken_migration_fails_logs_it_and_runs_once_it_is_fixed(pipeline, folder, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", folder)
    add(folder, "0900_broken.sql", "ALTER TABLE {analytics}.no_such_table ADD COLUMN x int;\n")
    pipeline.put_tiny()

    failed = pipeline.build(RunAll(date=TINY_DATE))

    assert failed.status != luigi.LuigiStatusCode.SUCCESS
    assert "0900_broken.sql failed, nothing of it was applied" in failed.errors
    assert [v for v, _ in recorded(pipeline)] == [m.version for m in RELEASE], "the version before it stays"
    assert not pipeline.query("SELECT * FROM {a}.task_markers"), "no step of the date ran"
    logged = pipeline.query("SELECT status, error FROM {a}.run_log WHERE step_id = 'MigrateSchema'")
    assert logged and logged[0][0] == "failed" and "0900_broken.sql" in logged[0][1], logged

    add(folder, "0900_broken.sql", "ALTER TABLE {analytics}.run_log ADD COLUMN note text;\n")
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert recorded(pipeline)[-1] == (900, "0900_broken")


def test_each_migration_is_reported_the_moment_it_commits(pipeline):
    """Processes that migrate at once each apply some; each reports its own as they commit, so their log
    lines read in version order instead of grouped per process."""
    seen = []

    def on_applied(migration) -> None:
        committed = pipeline.query("SELECT max(version) FROM {a}.schema_migrations")[0][0]  # another connection
        seen.append((migration.name, committed))

    connection = warehouse.connect(pipeline.dsn)
    try:
        migrations.upgrade(connection, pipeline.id + "_staging", pipeline.id + "_analytics", on_applied=on_applied)
    finally:
        connection.close()

    assert seen == [(m.name, m.version) for m in RELEASE]
