"""Two runs of the same date never duplicate rows: the second waits on the step's lock, then skips.
Different dates run side by side without waiting for each other."""

from __future__ import annotations

import datetime as dt
import json

import psycopg2
import pytest

from tests.commands import LuigiProcess, process_env, wait_until
from tests.conftest import TINY, TINY_DATE
from tests.test_crashes import leftovers

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATE = str(TINY_DATE)


def waiting_on_a_step_lock(dsn: str, call: str = "pg_advisory") -> bool:
    """Whether a d2b_luigi session of the tests' database waits on an advisory lock, in a statement that calls
    ``call`` (any by default); runs of other databases on the same server (a pipeline, a bench) do not count."""
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'd2b_luigi'"
            " AND datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            " AND query LIKE %s",
            (f"%{call}%",),
        )
        waiting = cursor.fetchone()[0] > 0
    connection.close()
    return waiting


def assert_one_clean_result(pipeline) -> None:
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.query("SELECT source, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8),
        ("reviews", 6),
        ("shipment_deliveries", 8),
    ]
    assert pipeline.query("SELECT count(*), count(DISTINCT update_id) FROM {a}.task_markers") == [(9, 9)]
    assert leftovers(pipeline) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_two_runall_of_the_same_date_started_together(pipeline, tmp_path, dsn, workers):
    """Both exit 0: neither's clean-up is undone by the other's (whose marker, partitions, downloads and
    temporary files come and go meanwhile)."""
    pipeline.put_tiny()
    release = tmp_path / "release"
    env = process_env(pipeline, D2B_PAUSE_AT="LoadStaging", D2B_PAUSE_RELEASE=str(release))
    args = ("--local-scheduler", "--workers", workers, "RunAll", "--date", "2025-07-01")
    # separate lock dirs: luigi's own pid lock would turn the second away at once (exit 10)
    first = LuigiProcess(*args, env=env, lock_dir=tmp_path / "a")
    first.wait_for("d2b_luigi: paused at LoadStaging")
    second = LuigiProcess(*args, env=env, lock_dir=tmp_path / "b")

    wait_until(lambda: waiting_on_a_step_lock(dsn), what="the second run to wait for the first")
    release.touch()

    assert first.finish() == 0, first.stderr[-3000:]
    assert second.finish() == 0, second.stderr[-3000:]
    assert_one_clean_result(pipeline)


def test_runall_while_a_single_step_of_the_date_runs_by_hand(pipeline, tmp_path, dsn):
    pipeline.put_tiny()
    release = tmp_path / "release"
    by_hand = LuigiProcess(
        "--local-scheduler",
        "Transform",
        "--table",
        "agg_shipments",
        "--date",
        "2025-07-01",
        env=process_env(pipeline, D2B_PAUSE_AT="Transform", D2B_PAUSE_RELEASE=str(release)),
        lock_dir=tmp_path / "a",
    )
    by_hand.wait_for("d2b_luigi: paused at Transform")
    cron = LuigiProcess(
        "--local-scheduler", "RunAll", "--date", "2025-07-01", env=process_env(pipeline), lock_dir=tmp_path / "b"
    )

    wait_until(lambda: waiting_on_a_step_lock(dsn), what="RunAll to wait for the step run by hand")
    release.touch()

    assert by_hand.finish() == 0, by_hand.stderr[-3000:]
    assert cron.finish() == 0, cron.stderr[-3000:]
    assert_one_clean_result(pipeline)


def test_different_dates_run_in_parallel_without_waiting(pipeline, tmp_path):
    other = dt.date(2025, 6, 1)
    pipeline.put_tiny(TINY_DATE)
    pipeline.put_tiny(other)
    release = tmp_path / "release"
    held = LuigiProcess(
        "--local-scheduler",
        "RunAll",
        "--date",
        "2025-07-01",
        env=process_env(pipeline, D2B_PAUSE_AT="LoadStaging", D2B_PAUSE_RELEASE=str(release)),
        lock_dir=tmp_path / "a",
    )
    held.wait_for("d2b_luigi: paused at LoadStaging")

    # The other date runs start to end while the first holds an open COPY transaction on its partition.
    other_run = LuigiProcess(
        "--local-scheduler", "RunAll", "--date", "2025-06-01", env=process_env(pipeline), lock_dir=tmp_path / "b"
    )
    assert other_run.finish(timeout=120) == 0, other_run.stderr[-3000:]
    assert held.process.poll() is None, "the first run is still held"
    release.touch()

    assert held.finish() == 0, held.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.analytics(other)["agg_shipments"] == {
        "ingestion_date": "2025-06-01",
        "tt_late_shipments": 2,
        "tt_undelivered_items": 1,
    }


def test_a_shipments_load_whose_wait_for_the_orders_load_closes_a_deadlock_reads_the_orders_file(
    pipeline, tmp_path, dsn
):
    """The shipments load, after its COPY, waits for a running orders load (here: a session holding that step's
    lock). When that session then waits for the shipments load (a cycle, as a clean-up waiting for the shipments
    partition while the orders load waits for the clean-up), PostgreSQL ends the wait that came first, the
    shipments load's: it checks against the orders file instead and is done; the other session goes on."""
    pipeline.put_tiny()
    holder = psycopg2.connect(dsn)
    try:
        with holder.cursor() as cursor:  # the orders load "running": its lock held in an open transaction
            cursor.execute("SET deadlock_timeout = '60s'")  # the shipments load (3 s) looks for the deadlock first
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{pipeline.id}:LoadStaging:{DATE}:orders",))
        load = LuigiProcess(
            "--local-scheduler",
            *("LoadStaging", "--date", DATE, "--name", "shipment_deliveries"),
            env=process_env(pipeline, PGOPTIONS="-c deadlock_timeout=3s"),
            lock_dir=tmp_path,
        )
        wait_until(
            lambda: waiting_on_a_step_lock(dsn, "pg_advisory_lock("),
            what="the shipments load to wait for the orders load",
        )
        with holder.cursor() as cursor:  # now waits for the shipments load's own lock: a deadlock
            step = f"{pipeline.id}:LoadStaging:{DATE}:shipment_deliveries"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (step,))
        holder.commit()
    finally:
        holder.close()

    assert load.finish() == 0, load.stderr[-3000:]
    assert "closed a deadlock; the orders file is read instead" in load.stderr
    rows = pipeline.query("SELECT count(*) FROM {s}.shipment_deliveries WHERE ingestion_date = %s", (TINY_DATE,))
    assert rows == [(8,)]
