"""Scaling out: two warehouse ids share one luigid, and any step runs on any worker host of its id."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import socket
import subprocess
import time

import luigi
import pytest

from d2b_luigi import CleanUp, LoadStaging, RangeDaily, RunAll
from d2b_luigi.config import ConfigError
from d2b_luigi.generate import generate
from d2b_luigi.tasks.pipeline import steps
from tests.commands import BIN, LuigiProcess, free_port, process_env
from tests.conftest import ROOT, TINY, Pipeline

DATES = [dt.date(2025, 7, 1), dt.date(2025, 7, 2), dt.date(2025, 7, 3)]
HOSTS = ("host1", "host2")
BACKFILL = ("RangeDaily", "--of", "RunAll", "--start", str(DATES[0]), "--stop", str(DATES[-1] + dt.timedelta(1)))
EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATABASE_STEPS = ("LoadStaging", "Transform", "QualityCheck", "Publish", "Export", "CleanUp")


def test_two_ids_have_different_task_ids_and_the_same_marker_ids(monkeypatch):
    date = DATES[0]
    monkeypatch.setenv("D2B_ID", "east")
    east = {task.step_id: task.task_id for task in steps(date) if hasattr(task, "step_id")}
    east_run = RunAll(date=date)
    monkeypatch.setenv("D2B_ID", "west")
    west = {task.step_id: task.task_id for task in steps(date) if hasattr(task, "step_id")}

    assert set(east) == set(west), "markers (step_id) do not name the id: each id has its own schemas"
    assert "LoadStaging:2025-07-01:orders" in east
    assert not set(east.values()) & set(west.values()), "no task is shared between the two ids"
    assert east_run.task_id != RunAll(date=date).task_id
    assert "_east_" in east_run.task_id and east_run.warehouse_id == "east"
    assert LoadStaging(date=date, name="orders").warehouse_id == "west"
    backfill = {"of": RunAll, "start": DATES[0], "stop": DATES[-1]}
    monkeypatch.setenv("D2B_ID", "east")
    east_range = RangeDaily(**backfill)
    monkeypatch.setenv("D2B_ID", "west")
    assert east_range.task_id != RangeDaily(**backfill).task_id


def test_a_task_given_another_id_than_the_configured_one_is_refused(monkeypatch):
    monkeypatch.setenv("D2B_ID", "east")
    assert CleanUp(date=DATES[0], warehouse_id="east").warehouse_id == "east"
    west = "^{}: --warehouse-id west differs from the configured warehouse id 'east' \\(environment D2B_ID\\)"
    with pytest.raises(ConfigError, match=west.format("RunAll")):
        RunAll(date=DATES[0], warehouse_id="west").requires()
    with pytest.raises(ConfigError, match=west.format("CleanUp")):
        CleanUp(date=DATES[0], warehouse_id="west").complete()
    with pytest.raises(ConfigError, match=west.format("RangeDaily")):
        RangeDaily(of=RunAll, start=DATES[0], stop=DATES[1], warehouse_id="west").requires()


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "luigid exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, "luigid did not start"
        time.sleep(0.1)


@pytest.fixture
def luigid(tmp_path):
    port = free_port()
    command = [str(BIN / "luigid"), "--address", "127.0.0.1", "--port", str(port)]
    (tmp_path / "luigid-logs").mkdir()
    command += ["--state-path", str(tmp_path / "luigid.pickle"), "--logdir", str(tmp_path / "luigid-logs")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(20)


def _land(pipeline: Pipeline, seed: int) -> None:
    for date in DATES:
        generate(pipeline.landing_dir(date), pipeline.dimensions, orders=300, as_of=date, seed=seed + date.day)


def test_two_ids_on_two_hosts_each_share_one_luigid(dsn, tmp_path, monkeypatch, luigid):
    """Ids east and west, each on two hosts (own work dir, own lock dir), back-fill the same dates at once
    through one luigid: all four exit 0, every date of both ids has the rows of a run of that date alone,
    no database step or export ran twice, and no host keeps a download."""
    ids = {name: Pipeline(dsn, tmp_path / name, monkeypatch) for name in ("east", "west")}
    try:
        for seed, pipeline in enumerate(ids.values()):
            _land(pipeline, seed * 100)
        runs = {}
        for name, pipeline in ids.items():
            for host in HOSTS:
                env = process_env(pipeline, D2B_WORK_DIR=str(pipeline.root / host))
                env["LUIGI_CONFIG_PATH"] = str(ROOT / "config" / "hosts.cfg")
                runs[name, host] = LuigiProcess(
                    *BACKFILL,
                    *("--scheduler-port", str(luigid)),
                    env=env,
                    lock_dir=tmp_path / f"lock-{name}-{host}",
                )
        codes = {key: run.finish(timeout=120) for key, run in runs.items()}

        assert codes == dict.fromkeys(runs, 0), "\n\n".join(
            f"{key}:\n{run.stderr[-3000:]}" for key, run in runs.items()
        )
        for name, pipeline in ids.items():
            ran = {host: runs[name, host].stderr.count(") done      ") for host in HOSTS}
            assert min(ran.values()) > 0, f"{name}: the work is shared by both hosts: {ran}"
            assert sum(ran.values()) >= len(DATES) * 15, ran
            twice = pipeline.query(
                "SELECT step_id, count(*) FROM {a}.run_log WHERE status = 'done' AND task_family = ANY(%s)"
                " GROUP BY 1 HAVING count(*) > 1",
                (list(DATABASE_STEPS),),
            )
            assert twice == [], f"{name}: steps done more than once: {twice}"
            done = pipeline.query(
                "SELECT ingestion_date, count(DISTINCT step_id) FROM {a}.run_log WHERE status = 'done'"
                " AND ingestion_date IS NOT NULL GROUP BY 1 ORDER BY 1"
            )
            assert done == [(date, 15) for date in DATES], (name, done)
            left = [p for host in HOSTS for p in (pipeline.root / host).rglob("*") if "download" in p.parts]
            assert [p for p in left if p.is_file()] == [], f"{name}: downloads left: {left}"
            assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]

        # Each date alone, in-process, in a deployment of its own with the same files: the same rows.
        for seed, (name, pipeline) in enumerate(ids.items()):
            alone = Pipeline(dsn, tmp_path / f"{name}-alone", monkeypatch)
            try:
                _land(alone, seed * 100)
                for date in DATES:
                    luigi.task_register.Register.clear_instance_cache()
                    assert alone.build(RunAll(date=date)).scheduling_succeeded, alone.root
                    assert pipeline.analytics(date) == alone.analytics(date), (name, date)
                    assert pipeline.analytics(date)["agg_shipments"] is not None
                    for table in ("agg_public_holiday", "agg_shipments", "best_performing_product"):
                        shared = pipeline.exports / pipeline.id / str(date) / f"{table}.csv"
                        assert shared.read_text() == (alone.exports / alone.id / str(date) / f"{table}.csv").read_text()
            finally:
                alone.drop()
    finally:
        for pipeline in ids.values():
            pipeline.drop()


def test_a_load_luigid_hands_to_the_host_without_the_download_reads_the_lake(pipeline, tmp_path, luigid):
    """Host A downloads the date's files through luigid; host B then runs RunAll: luigid has the downloads
    DONE (a host's claim that a task just done is pending is ignored for a while), so B gets the loads and
    reads the landing files from the lake; with luigi's default check of dependencies it would fail them
    ("Unfulfilled dependency at run time"). A's downloads go at the end of A's next command."""
    pipeline.put_tiny(DATES[0])
    hosts = {host: process_env(pipeline, D2B_WORK_DIR=str(tmp_path / host)) for host in ("a", "b")}
    for env in hosts.values():
        env["LUIGI_CONFIG_PATH"] = str(ROOT / "config" / "hosts.cfg")
    scheduler = ("--scheduler-port", str(luigid))
    downloads = [
        LuigiProcess(
            "Download", "--date", str(DATES[0]), "--name", name, *scheduler, env=hosts["a"], lock_dir=tmp_path / name
        )
        for name in ("orders", "reviews", "shipment_deliveries")
    ]
    assert [download.finish() for download in downloads] == [0, 0, 0], downloads[0].stderr[-3000:]
    assert len(list((tmp_path / "a" / "download").rglob("*.csv"))) == 3

    b = LuigiProcess("RunAll", "--date", str(DATES[0]), *scheduler, env=hosts["b"], lock_dir=tmp_path / "b-lock")

    assert b.finish() == 0, b.stderr[-3000:]
    assert b.stderr.count(") done      LoadStaging(") == 3, b.stderr[-3000:]
    assert ") running   Download(" not in b.stderr, "B loaded the files A downloaded"
    assert "Unfulfilled dependency" not in b.stderr
    assert pipeline.analytics(DATES[0]) == EXPECTED
    assert list((tmp_path / "b").rglob("*.csv")) == []
    again = LuigiProcess("RunAll", "--date", str(DATES[0]), *scheduler, env=hosts["a"], lock_dir=tmp_path / "a-lock")
    assert again.finish() == 0, again.stderr[-3000:]
    assert list((tmp_path / "a").rglob("*.csv")) == [], "the date is cleaned up: its downloads on A are gone"


def test_a_load_on_a_host_without_the_download_streams_the_landing_object(pipeline, s3, monkeypatch, caplog):
    """The load runs where no Download ran (luigid gave it to another host): it reads the S3 object itself,
    gzip or not, and reads it again from the start when a quoted value sends it to row-by-row validation."""
    from d2b_luigi import Dimensions, MigrateSchema

    pipeline.put_tiny()  # the dimension CSVs stay local
    reviews = (TINY / "reviews.csv").read_text().splitlines()
    reviews[1] = ",".join(f'"{value}"' for value in reviews[1].split(","))
    bodies = {
        "orders.csv.gz": gzip.compress((TINY / "orders.csv").read_bytes()),
        "reviews.csv": ("\n".join(reviews) + "\n").encode(),
        "shipment_deliveries.csv": (TINY / "shipment_deliveries.csv").read_bytes(),
    }
    for key, body in bodies.items():
        s3.put_object(Bucket="lake", Key=f"landing/2025-07-01/{key}", Body=body)
    monkeypatch.setenv("D2B_LANDING_URL", "s3://lake/landing/{date}")
    assert pipeline.build(MigrateSchema(), Dimensions()).status == luigi.LuigiStatusCode.SUCCESS

    caplog.set_level(logging.INFO, logger="d2b_luigi")
    for name in ("orders", "reviews", "shipment_deliveries"):
        load = LoadStaging(date=DATES[0], name=name)
        load.set_progress_percentage = load.set_status_message = lambda *_: None  # a worker sets these
        load.run()  # what the worker does once luigid hands it the task, without running its Download

    assert pipeline.query("SELECT source, file_url, data_lines, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", "s3://lake/landing/2025-07-01/orders.csv.gz", 8, 8),
        ("reviews", "s3://lake/landing/2025-07-01/reviews.csv", 6, 6),
        ("shipment_deliveries", "s3://lake/landing/2025-07-01/shipment_deliveries.csv", 8, 8),
    ]
    assert list((pipeline.root / "work").rglob("*.csv*")) == [], "nothing was downloaded"
    assert "reviews.csv needs row-by-row validation" in caplog.text
