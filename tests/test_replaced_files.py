"""Issue 8: a landing file of a finished date replaced (other good data, bad data) or removed, then a plain RunAll,
redoes the date from the files as they are now, or fails clearly and leaves the published rows and exports as
they were."""

from __future__ import annotations

import json
import logging
import os
import re

import luigi
import psycopg2
import pytest

from d2b_luigi import Export, LoadStaging, RunAll
from d2b_luigi.catalog import TABLES
from tests.commands import LuigiProcess, process_env, run_luigi, wait_until
from tests.conftest import TINY, TINY_DATE
from tests.test_concurrency import waiting_on_a_step_lock

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATE = str(TINY_DATE)
SHIPMENTS = (TINY / "shipment_deliveries.csv").read_text()
# Shipment 4 is now delivered (no longer late), shipment 6 shipped two days after its order (no longer undelivered;
# an early shipment of the Hammer, which is not the best product): 1 late, 1 undelivered, and of the Screwdriver's
# shipments 2 early (3, 8) and none late.
OTHER_SHIPMENTS = SHIPMENTS.replace("4,4,2025-05-08,\n", "4,4,2025-05-08,2025-05-10\n").replace(
    "6,6,,\n", "6,6,2025-06-12,\n"
)
EXPECTED_OTHER = {
    **EXPECTED,
    "agg_shipments": {"ingestion_date": DATE, "tt_late_shipments": 1, "tt_undelivered_items": 1},
    "best_performing_product": {
        **EXPECTED["best_performing_product"],
        "pct_early_shipments": 100.0,
        "pct_late_shipments": 0.0,
    },
}
BAD_LINE = "9,9,2025-13-01,"  # line 10: not a valid date


def shipments_url(pipeline) -> str:
    return str(pipeline.landing_dir(TINY_DATE) / "shipment_deliveries.csv")


def replace_shipments(pipeline, text: str) -> None:
    """Replace the landing file, as an operator or the sender does (a new file, a new modification time)."""
    path = pipeline.landing_dir(TINY_DATE) / "shipment_deliveries.csv"
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a later time, however coarse the file system's clock


def exports(pipeline) -> dict[str, str]:
    folder = pipeline.exports / pipeline.id / DATE
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


@pytest.fixture(params=["cleaned up", "not cleaned up"])
def finished(pipeline, request):
    """The tiny example run to the end (RunAll), or up to its exports (not cleaned up yet)."""
    pipeline.put_tiny()
    if request.param == "cleaned up":
        tasks = [RunAll(date=TINY_DATE)]
    else:
        tasks = [Export(date=TINY_DATE, table=table) for table in TABLES]
    assert pipeline.build(*tasks).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    return pipeline


def test_other_good_data_then_runall_gives_the_new_files_rows(finished, caplog):
    replace_shipments(finished, OTHER_SHIPMENTS)
    assert not RunAll(date=TINY_DATE).complete()

    with caplog.at_level(logging.INFO, logger="d2b_luigi"):
        result = finished.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    why = [r.getMessage() for r in caplog.records if "is not the file this date last loaded" in r.getMessage()]
    assert len(why) == 1 and why[0].startswith(f"{shipments_url(finished)} is not the file"), why
    assert "; now size=" in why[0] and why[0].endswith("redoing what was built from it"), why
    assert finished.analytics(TINY_DATE) == EXPECTED_OTHER
    assert exports(finished)["agg_shipments.csv"] == (
        "ingestion_date,tt_late_shipments,tt_undelivered_items\n2025-07-01,1,1\n"
    )
    assert exports(finished)["best_performing_product.csv"].splitlines()[1] == (
        "2025-07-01,Screwdriver,2025-05-01,true,11,25,25,25,0,25,100,0"
    )
    assert finished.query("SELECT count(*) FROM {s}.shipment_deliveries") == [(0,)], "cleaned up again"
    assert RunAll(date=TINY_DATE).complete()


@pytest.mark.parametrize("bad", ["a bad row", "a bad header"])
def test_bad_data_fails_naming_the_file_keeps_what_was_published_and_the_fixed_file_is_loaded(finished, bad):
    published, exported = finished.analytics(TINY_DATE), exports(finished)
    url = shipments_url(finished)
    if bad == "a bad row":
        replace_shipments(finished, OTHER_SHIPMENTS + BAD_LINE + "\n")
        message = (
            f"{url}: 1 of 9 rows rejected, more than max_reject_ratio=0.0 allows; nothing of this file was loaded. "
            f"line 10: column 3 (shipment_date): '2025-13-01' is not a valid date. All rejects: "
            f"{finished.id}_staging.rejected_rows WHERE ingestion_date = '{DATE}' AND source = 'shipment_deliveries'"
        )
        rejects = [(10, BAD_LINE, "column 3 (shipment_date): '2025-13-01' is not a valid date")]
    else:
        replace_shipments(finished, OTHER_SHIPMENTS.replace("shipment_date", "shipped_on"))
        message = (
            f"{url}: line 1: expected header shipment_id,order_id,shipment_date,delivery_date (in any order), "
            "found shipment_id,order_id,shipped_on,delivery_date"
        )
        rejects = []

    failed = finished.build(RunAll(date=TINY_DATE))

    assert failed.status == luigi.LuigiStatusCode.FAILED
    assert message in failed.errors
    assert finished.analytics(TINY_DATE) == published == EXPECTED, "the published rows are kept"
    assert exports(finished) == exported, "the exports are kept"
    assert finished.query("SELECT line_no, raw_line, reason FROM {s}.rejected_rows") == rejects

    replace_shipments(finished, OTHER_SHIPMENTS)
    fixed = finished.build(RunAll(date=TINY_DATE))

    assert fixed.status == luigi.LuigiStatusCode.SUCCESS, fixed.errors
    assert finished.analytics(TINY_DATE) == EXPECTED_OTHER
    assert exports(finished)["agg_shipments.csv"].endswith("\n2025-07-01,1,1\n")
    assert finished.query("SELECT count(*) FROM {s}.rejected_rows") == [(0,)]


@pytest.mark.parametrize("replacement", ["good", "bad"])
def test_the_soaks_sequence_load_by_hand_after_replacing_then_runall(finished, replacement):
    """The date finished, the shipments replaced, LoadStaging run by hand, then a plain RunAll: once a no-op
    ("RunAll of 2025-05-02 succeeded but shipment_deliveries has rejected rows")."""
    replace_shipments(finished, OTHER_SHIPMENTS + (BAD_LINE + "\n" if replacement == "bad" else ""))
    by_hand = finished.build(LoadStaging(date=TINY_DATE, name="shipment_deliveries"))
    assert by_hand.status == (
        luigi.LuigiStatusCode.SUCCESS if replacement == "good" else luigi.LuigiStatusCode.FAILED
    ), by_hand.errors

    result = finished.build(RunAll(date=TINY_DATE))

    if replacement == "good":
        assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
        assert finished.analytics(TINY_DATE) == EXPECTED_OTHER
        assert exports(finished)["agg_shipments.csv"].endswith("\n2025-07-01,1,1\n")
    else:
        assert result.status == luigi.LuigiStatusCode.FAILED
        assert f"{shipments_url(finished)}: 1 of 9 rows rejected" in result.errors
        assert finished.analytics(TINY_DATE) == EXPECTED
        assert exports(finished)["agg_shipments.csv"].endswith("\n2025-07-01,2,2\n")
        assert finished.query("SELECT source, line_no FROM {s}.rejected_rows") == [("shipment_deliveries", 10)]


def test_a_removed_file_exits_20_naming_it_and_keeps_the_analytics(finished, tmp_path):
    published, exported = finished.analytics(TINY_DATE), exports(finished)
    os.remove(shipments_url(finished))

    run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=process_env(finished), lock_dir=tmp_path)

    assert run.returncode == 20, run.stderr[-3000:]
    assert f"MISSING  LandingFile shipment_deliveries {DATE}: landing file missing: {shipments_url(finished)}" in (
        run.stderr
    )
    assert finished.analytics(TINY_DATE) == published
    assert exports(finished) == exported


def test_an_unchanged_finished_date_runs_no_task(pipeline, tmp_path):
    pipeline.put_tiny()
    env = process_env(pipeline)
    first = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    replace_shipments(pipeline, OTHER_SHIPMENTS)
    redo = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)
    assert redo.returncode == 0, redo.stderr[-3000:]
    assert "Did not run any tasks" not in redo.stderr

    again = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert again.returncode == 0, again.stderr[-3000:]
    assert "Did not run any tasks" in again.stderr
    assert pipeline.analytics(TINY_DATE) == EXPECTED_OTHER


@pytest.mark.parametrize("fixed", ["the same orders", "without order 8"])
def test_shipments_checked_against_a_bad_orders_file_are_checked_again_against_the_fixed_one(pipeline, fixed):
    """The orders load fails (a bad line) while the shipments load succeeds against the file's valid rows; the
    fixed orders file then decides: the same orders keep the shipments as loaded (once: the rerun failed with
    'Unfulfilled dependency at run time'), an order gone rejects its shipment."""
    pipeline.put_tiny()
    orders = pipeline.landing_dir(TINY_DATE) / "orders.csv"
    good = orders.read_text()
    orders.write_text(good + "9,x,2025-06-24,2,50,4,200\n")
    first = pipeline.build(RunAll(date=TINY_DATE))
    assert first.status == luigi.LuigiStatusCode.FAILED
    assert pipeline.query("SELECT update_id FROM {a}.task_markers WHERE update_id LIKE 'LoadStaging%%' ORDER BY 1") == [
        (f"LoadStaging:{DATE}:reviews",),
        (f"LoadStaging:{DATE}:shipment_deliveries",),
    ]

    text = good if fixed == "the same orders" else good.replace("8,2,2025-06-24,2,50,4,200\n", "")
    orders.write_text(text)
    os.utime(orders, ns=(orders.stat().st_mtime_ns + 10**9,) * 2)
    result = pipeline.build(RunAll(date=TINY_DATE))

    if fixed == "the same orders":
        assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
        assert pipeline.analytics(TINY_DATE) == EXPECTED
    else:
        assert result.status == luigi.LuigiStatusCode.FAILED
        assert f"{shipments_url(pipeline)}: 1 of 8 rows rejected" in result.errors
        assert "line 9: column 2 (order_id): order 8 is not in the orders file" in result.errors
        assert pipeline.analytics(TINY_DATE) == dict.fromkeys(TABLES)


def test_one_export_run_by_hand_after_replacing_leaves_no_export_of_the_replaced_rows(finished):
    """Export agg_shipments alone redoes the date and publishes the new rows: the other exports, written from the
    rows that publish replaced, are removed until RunAll writes them again (exports always equal published rows)."""
    replace_shipments(finished, OTHER_SHIPMENTS)

    assert finished.build(Export(date=TINY_DATE, table="agg_shipments")).status == luigi.LuigiStatusCode.SUCCESS

    assert finished.analytics(TINY_DATE) == EXPECTED_OTHER
    assert list(exports(finished)) == ["agg_shipments.csv"]
    assert exports(finished)["agg_shipments.csv"].endswith("\n2025-07-01,1,1\n")
    assert finished.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert sorted(exports(finished)) == [f"{table}.csv" for table in sorted(TABLES)]
    assert exports(finished)["best_performing_product.csv"].splitlines()[1].endswith(",100,0")


def test_a_file_replaced_and_loaded_while_a_run_builds_on_the_last_one_is_never_left_behind(pipeline, tmp_path, dsn):
    """Run A is inside its transforms (rows written, not committed) when the shipments file is replaced and loaded
    by hand. The load waits for A's transform of the shipments to commit, then withdraws it; A's later steps refuse
    to build on it. Whatever A's exit, the next plain RunAll gives the new file's rows, published and exported."""
    pipeline.put_tiny()
    release = tmp_path / "release"
    paused = process_env(pipeline, D2B_PAUSE_AT="Transform", D2B_PAUSE_RELEASE=str(release))
    run_a = LuigiProcess(
        "--local-scheduler", "--workers", "2", "RunAll", "--date", DATE, env=paused, lock_dir=tmp_path / "a"
    )
    wait_until(lambda: run_a.stderr.count("d2b_luigi: paused at Transform") == 2, what="two transforms paused")
    replace_shipments(pipeline, OTHER_SHIPMENTS)
    by_hand = LuigiProcess(
        "--local-scheduler",
        *("LoadStaging", "--date", DATE, "--name", "shipment_deliveries"),
        env=process_env(pipeline),
        lock_dir=tmp_path / "b",
    )
    try:
        wait_until(lambda: waiting_on_a_step_lock(dsn), what="the load to wait for the transform")
    finally:
        release.touch()

    assert by_hand.finish() == 0, by_hand.stderr[-3000:]
    # A's transforms committed, then were withdrawn: A fails (30), its later steps never ran on them
    assert run_a.finish() == 30, run_a.stderr[-3000:]
    # which transforms of the shipments were paused depends on which worker took which step first
    assert re.search(r"FAILED   Transform (agg_shipments|best_performing_product) ", run_a.stderr), run_a.stderr[-3000:]
    assert pipeline.query("SELECT count(*) FROM {a}.agg_shipments") == [(0,)], "nothing published by A"
    again = run_luigi("--local-scheduler", "RunAll", "--date", DATE, env=process_env(pipeline), lock_dir=tmp_path / "c")
    assert again.returncode == 0, again.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED_OTHER
    assert exports(pipeline)["agg_shipments.csv"].splitlines()[1] == "2025-07-01,1,1"


def test_a_replaced_shipments_file_waits_for_a_running_orders_load_before_it_withdraws_steps(finished, tmp_path, dsn):
    """A load of a replaced orders file takes the locks of the steps built from the orders, and so does a load of a
    replaced shipments file. The shipments load waits for a running orders load first, holding no lock of those
    steps, so the orders load never waits for it while it waits for the orders load."""
    replace_shipments(finished, OTHER_SHIPMENTS)
    holder = psycopg2.connect(dsn)
    try:
        with holder.cursor() as cursor:  # the orders load of a replaced file "running": its lock held
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{finished.id}:LoadStaging:{DATE}:orders",))
        load = LuigiProcess(
            "--local-scheduler",
            *("LoadStaging", "--date", DATE, "--name", "shipment_deliveries"),
            env=process_env(finished),
            lock_dir=tmp_path,
        )
        wait_until(lambda: waiting_on_a_step_lock(dsn, "pg_advisory_lock("), what="the shipments load to wait")
        with holder.cursor() as cursor:  # what that orders load does next: lock a step it withdraws
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (f"{finished.id}:CleanUp:{DATE}",))
            assert cursor.fetchone() == (True,), "the waiting shipments load holds no lock of a step it withdraws"
        holder.commit()
    finally:
        holder.close()

    assert load.finish() == 0, load.stderr[-3000:]
    assert finished.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert finished.analytics(TINY_DATE) == EXPECTED_OTHER
