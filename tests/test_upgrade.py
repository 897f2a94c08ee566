"""Upgrading in place: a warehouse built by the first release, then this release.

The first release is the code of commit FIRST_RELEASE, taken from the repository's own history and run
as it was (its own package, SQL and luigi.cfg), so the warehouse under test is exactly what users have.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import tarfile
from pathlib import Path

import luigi
import psycopg2
import pytest

from d2b_luigi import RunAll, cli
from d2b_luigi.catalog import TABLES
from tests.commands import BIN, process_env, run_luigi
from tests.conftest import ROOT, TINY_DATE

# "Tidy: drop CountingReader.readline …": the state deployed before schema versions existed.
FIRST_RELEASE = "6ed5369ae8ee3d116cb5a16aa8731ebae5f97017"
OLD_DATES = (TINY_DATE, TINY_DATE + dt.timedelta(days=1))
NEW_DATE = TINY_DATE + dt.timedelta(days=2)


@pytest.fixture(scope="module")
def first_release(tmp_path_factory) -> Path:
    """The first release's files, checked out of the repository's history."""
    folder = tmp_path_factory.mktemp("first_release")
    archive = folder / "release.tar"
    result = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--output", str(archive), FIRST_RELEASE], capture_output=True, text=True
    )
    assert result.returncode == 0, f"this test needs the repository's history (git archive): {result.stderr}"
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "code", filter="data")
    return folder / "code"


def run_first_release(release: Path, pipeline, *args: str, lock_dir: Path) -> subprocess.CompletedProcess:
    """``luigi --module d2b_luigi …`` of the first release, from its own folder."""
    env = process_env(pipeline, PYTHONPATH=str(release))
    command = [str(BIN / "luigi"), "--module", "d2b_luigi", *args, "--local-scheduler", "--lock-pid-dir", str(lock_dir)]
    return subprocess.run(command, cwd=release, env=env, capture_output=True, text=True, timeout=180)


def run_this_release(pipeline, *args: str, lock_dir: Path) -> subprocess.CompletedProcess:
    return run_luigi(*args, "--local-scheduler", env=process_env(pipeline), lock_dir=lock_dir)


def build_with_first_release(release: Path, pipeline, dates, lock_dir: Path) -> None:
    """The first release runs ``dates`` (consecutive) to the end, in one backfill."""
    for date in dates:
        pipeline.put_tiny(date)
    stop = str(dates[-1] + dt.timedelta(days=1))
    result = run_first_release(
        release, pipeline, "RangeDaily", "--of", "RunAll", "--start", str(dates[0]), "--stop", stop, lock_dir=lock_dir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert all(pipeline.analytics(date)["agg_shipments"] for date in dates), result.stderr[-3000:]
    assert not pipeline.query("SELECT to_regclass('{a}.schema_migrations')")[0][0], "built by the first release"


def create_tables_with_first_release(release: Path, pipeline) -> None:
    """Only the tables, as the first release creates them (its CreateStagingTable and CreateAnalyticsTable)."""
    script = (
        "import luigi, d2b_luigi as d\n"
        "from d2b_luigi.tasks.extract import SOURCES\n"
        "from d2b_luigi.tasks.transform import TABLES\n"
        "tasks = [*(d.CreateStagingTable(name=n) for n in SOURCES),\n"
        "         *(d.CreateAnalyticsTable(table=t) for t in TABLES)]\n"
        "assert luigi.build(tasks, local_scheduler=True, log_level='WARNING')\n"
    )
    env = process_env(pipeline, PYTHONPATH=str(release))
    result = subprocess.run([str(BIN / "python"), "-c", script], cwd=release, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not pipeline.query("SELECT to_regclass('{a}.schema_migrations')")[0][0], "built by the first release"


@contextlib.contextmanager
def pipeline_cursor(pipeline):
    connection = psycopg2.connect(pipeline.dsn)
    try:
        with connection, connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def kept(pipeline, date: dt.date) -> dict:
    """What a finished date left behind in the warehouse and the lake."""
    folder = pipeline.exports / pipeline.id / date.isoformat()
    return {
        "analytics": pipeline.analytics(date),
        "markers": pipeline.query(
            "SELECT update_id, inserted FROM {a}.task_markers WHERE update_id LIKE %s ORDER BY 1", (f"%{date}%",)
        ),
        "load_log": pipeline.query(  # the first release's columns (0005 adds the fingerprint of the file read)
            "SELECT ingestion_date, source, file_url, bytes, data_lines, rows_loaded, rows_rejected, loaded_at"
            " FROM {a}.load_log WHERE ingestion_date = %s ORDER BY source",
            (date,),
        ),
        "quality": pipeline.query(
            "SELECT * FROM {a}.quality_results WHERE ingestion_date = %s ORDER BY check_name", (date,)
        ),
        "rejects": pipeline.query(
            "SELECT * FROM {s}.rejected_rows WHERE ingestion_date = %s ORDER BY 1, 2, 4", (date,)
        ),
        "run_log": pipeline.query(  # the first release's columns (0004 adds the session of a running step)
            "SELECT run_id, step_id, task_family, ingestion_date, status, started_at, finished_at, duration_s,"
            " rows_loaded, rows_rejected, rows_exported, error FROM {a}.run_log WHERE ingestion_date = %s"
            " ORDER BY run_id",
            (date,),
        ),
        "exports": {p.name: p.read_bytes() for p in sorted(folder.iterdir())},
    }


def test_a_warehouse_of_the_first_release_upgrades_and_keeps_its_history(first_release, pipeline, tmp_path):
    locks = tmp_path / "locks"
    build_with_first_release(first_release, pipeline, OLD_DATES, locks)
    before = {date: kept(pipeline, date) for date in OLD_DATES}
    assert all(before[d]["analytics"]["agg_shipments"] and len(before[d]["exports"]) == 3 for d in OLD_DATES)

    pipeline.put_tiny(NEW_DATE)
    new = run_this_release(pipeline, "RunAll", "--date", str(NEW_DATE), lock_dir=locks)

    assert new.returncode == 0, new.stderr[-3000:]
    assert pipeline.analytics(NEW_DATE)["agg_shipments"] is not None
    assert pipeline.query("SELECT count(*) FROM {a}.schema_migrations")[0][0] >= 1, "the warehouse was migrated"
    migrated = {date: kept(pipeline, date) for date in OLD_DATES}
    for date in OLD_DATES:
        old_markers, new_markers = set(before[date]["markers"]), set(migrated[date]["markers"])
        assert old_markers <= new_markers, "the old markers are kept as they were"
        published = {f"Publish:{date}", *(f"Export:{date}:{table}" for table in TABLES)}
        assert {m for m, _ in new_markers - old_markers} == published, "0002: a finished date counts as published"
        assert {**migrated[date], "markers": before[date]["markers"]} == before[date], "the rows are kept as they were"
    before = migrated

    again = pipeline.build(*(RunAll(date=date) for date in OLD_DATES))
    assert again.status == luigi.LuigiStatusCode.SUCCESS, again.errors
    assert "Did not run any tasks" in again.summary_text, "finished dates stay finished"

    cli.main(["invalidate", "Download", "--date", str(OLD_DATES[0]), "--downstream"])
    redo = pipeline.build(RunAll(date=OLD_DATES[0]))

    assert redo.status == luigi.LuigiStatusCode.SUCCESS, redo.errors
    after = kept(pipeline, OLD_DATES[0])
    assert after["analytics"] == before[OLD_DATES[0]]["analytics"], "invalidated and redone: the same rows again"
    assert after["exports"] == before[OLD_DATES[0]]["exports"]
    assert after["markers"] != before[OLD_DATES[0]]["markers"], "the steps were redone (new markers)"
    assert kept(pipeline, OLD_DATES[1]) == before[OLD_DATES[1]], "the other date is untouched"


def schema_of(pipeline) -> dict[str, list[tuple]]:
    """The pipeline's two schemas as information_schema and the catalog describe them, with the id left out.

    Partitions of staging tables (one per loaded date) are data, not schema, and are left out.
    """
    tables = """SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('{s}', '{a}') AND NOT c.relispartition"""
    queries = {
        "tables": f"""SELECT n.nspname, c.relname, c.relkind FROM pg_class c
                      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid IN ({tables}) ORDER BY 1, 2""",
        "columns": f"""SELECT table_schema, table_name, ordinal_position, column_name, data_type,
                              character_maximum_length, numeric_precision, is_nullable, column_default,
                              is_identity, identity_generation
                       FROM information_schema.columns i
                       JOIN pg_namespace n ON n.nspname = i.table_schema
                       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = i.table_name
                       WHERE c.oid IN ({tables}) ORDER BY 1, 2, 3""",
        "constraints": f"""SELECT n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
                           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE c.oid IN ({tables}) ORDER BY 1, 2, 3""",
        "indexes": f"""SELECT n.nspname, c.relname, i.relname, pg_get_indexdef(i.oid)
                       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid IN ({tables}) ORDER BY 1, 2, 3""",
        "partitioning": f"""SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p
                            JOIN pg_class c ON c.oid = p.partrelid WHERE c.oid IN ({tables}) ORDER BY 1""",
    }
    return {
        name: [tuple(str(v).replace(pipeline.id, "{id}") for v in row) for row in pipeline.query(query)]
        for name, query in queries.items()
    }


def test_a_new_warehouse_and_an_upgraded_one_have_the_same_schema(first_release, dsn, tmp_path, monkeypatch, capsys):
    from tests.conftest import Pipeline

    upgraded = Pipeline(dsn, tmp_path / "upgraded", monkeypatch)
    try:
        create_tables_with_first_release(first_release, upgraded)
        cli.main(["migrate"])
        assert "applied sql/migrations/0001_initial.sql" in capsys.readouterr().out
        upgraded_schema = schema_of(upgraded)
    finally:
        upgraded.drop()

    fresh = Pipeline(dsn, tmp_path / "fresh", monkeypatch)
    try:
        cli.main(["migrate"])
        fresh_schema = schema_of(fresh)
    finally:
        fresh.drop()

    assert len(fresh_schema["columns"]) > 50 and fresh_schema["indexes"] and fresh_schema["partitioning"]
    for part in fresh_schema:
        assert upgraded_schema[part] == fresh_schema[part], part


# "Core pipeline: …": an early development state whose staging tables were not yet partitioned.
BEFORE_FIRST_RELEASE = "8f02df9"


def test_a_warehouse_from_before_the_first_release_is_refused_and_left_as_it_was(pipeline, capsys):
    from d2b_luigi import sqlfiles

    for name in ("bookkeeping", "staging_orders", "staging_reviews", "staging_shipment_deliveries"):
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE_FIRST_RELEASE}:sql/ddl/{name}.sql"],
            capture_output=True,
            text=True,
        )
        assert shown.returncode == 0, f"this test needs the repository's history (git show): {shown.stderr}"
        statement = sqlfiles.compose(
            shown.stdout, staging=pipeline.id + "_staging", analytics=pipeline.id + "_analytics"
        )
        with pipeline_cursor(pipeline) as cursor:
            cursor.execute(statement)

    with pytest.raises(SystemExit) as refused:
        cli.main(["migrate"])

    message = str(refused.value.code)
    assert "differ from sql/migrations/0001_initial.sql" in message
    assert "table orders partitioned by LIST (ingestion_date)" in message
    assert not pipeline.query("SELECT * FROM {a}.schema_migrations"), "no version recorded"
    assert not pipeline.query("SELECT to_regclass('{a}.run_log')")[0][0], "nothing of 0001 was applied"
    assert not pipeline.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'd2b_adopt_check_%%'")
