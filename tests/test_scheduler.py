"""The central scheduler: `make scheduler` starts luigid, RunAll uses it, its API and history show the run."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
import psycopg2.extensions
import sqlalchemy

from d2b_luigi.generate import generate
from d2b_luigi.tasks.pipeline import steps
from tests.commands import BIN, free_port, make, run_luigi
from tests.conftest import TINY_DATE

PROGRESS = re.compile(r"^(downloaded|loaded|exported) [\d,]+ of [\d,]+ bytes")


def api(port: int, method: str, data: dict) -> dict:
    query = urllib.parse.urlencode({"data": json.dumps(data)})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/{method}?{query}", timeout=10) as response:
        return json.load(response)["response"]


def get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read().decode()


PASSWORD = "Sch3duler-must-not-see-this"


def test_runall_through_luigid_is_done_in_its_api_with_progress_and_history(pipeline, tmp_path, monkeypatch, dsn):
    port, folder = free_port(), tmp_path / "scheduler"
    pipeline.put_tiny()
    # trust auth accepts and ignores the password; it must not show anywhere in the scheduler
    monkeypatch.setenv("D2B_WAREHOUSE_DSN", psycopg2.extensions.make_dsn(dsn, password=PASSWORD))
    make("scheduler", f"SCHEDULER_PORT={port}", f"SCHEDULER_DIR={folder}")
    try:
        pid = (folder / "luigid.pid").read_text().strip()
        assert b"--address\x00127.0.0.1\x00" in Path(f"/proc/{pid}/cmdline").read_bytes()

        run = run_luigi("RunAll", "--date", str(TINY_DATE), "--scheduler-port", str(port), lock_dir=tmp_path / "lock")

        assert run.returncode == 0, run.stderr
        tasks = api(port, "task_list", {"status": "", "upstream_status": "", "search": ""})
        expected = {task.task_id for task in steps(TINY_DATE)}
        assert {task_id: tasks[task_id]["status"] for task_id in expected} == dict.fromkeys(expected, "DONE")
        assert set(tasks) == expected
        long_steps = [t for t in tasks.values() if t["name"] in ("Download", "LoadStaging", "Export")]
        assert len(long_steps) == 9
        for task in long_steps:
            assert task["progress_percentage"] == 100, task
            assert PROGRESS.match(task["status_message"]), task
        assert [t["status_message"] for t in long_steps if t["name"] == "Export"][0].endswith(", 1 rows")

        status, page = get(port, "/history")
        assert status == 200 and "RunAll" in page
        assert PASSWORD not in json.dumps(tasks) + page + run.stderr
        assert get(port, "/")[0] == 200  # the web view (the visualiser)

        a_failed_run_shows_100_percent_for_finished_steps_and_failed_for_the_failed_one(pipeline, port, tmp_path)
    finally:
        make("scheduler-stop", f"SCHEDULER_DIR={folder}")
    assert (folder / "state.pickle").exists(), "luigid saves its state when stopped"
    assert list((folder / "log").glob("luigi-server*.log"))
    for kept in [folder / "state.pickle", *(folder / "log").iterdir()]:
        assert PASSWORD.encode() not in kept.read_bytes(), kept
    assert not (folder / "luigid.pid").exists()


def test_luigid_history_is_recorded_in_the_warehouse_under_sqlalchemy_2(pipeline, tmp_path):
    """No D2B_SCHEDULER_HISTORY_DB: luigid keeps its history in the warehouse, schema {id}_scheduler."""
    assert int(sqlalchemy.__version__.split(".")[0]) >= 2
    port, folder = free_port(), tmp_path / "scheduler"
    pipeline.put_tiny()
    make("scheduler", f"SCHEDULER_PORT={port}", f"SCHEDULER_DIR={folder}")
    try:
        run = run_luigi("RunAll", "--date", str(TINY_DATE), "--scheduler-port", str(port), lock_dir=tmp_path / "lock")
        assert run.returncode == 0, run.stderr
        status, page = get(port, "/history/by_name/RunAll")
        assert status == 200 and "RunAll" in page
    finally:
        make("scheduler-stop", f"SCHEDULER_DIR={folder}")

    schema = f"{pipeline.id}_scheduler"
    events = pipeline.query(
        f"""SELECT e.event_name FROM "{schema}".tasks t JOIN "{schema}".task_events e ON e.task_id = t.id
            WHERE t.name = 'RunAll' ORDER BY e.ts, e.id"""
    )
    assert [name for (name,) in events] == ["PENDING", "RUNNING", "DONE"]
    params = dict(
        pipeline.query(
            f"""SELECT p.name, p.value FROM "{schema}".task_parameters p JOIN "{schema}".tasks t ON t.id = p.task_id
                WHERE t.name = 'RunAll'"""
        )
    )
    assert params == {"date": str(TINY_DATE), "warehouse_id": pipeline.id}
    assert pipeline.query("SELECT to_regclass('public.tasks')") == [(None,)], "nothing in the public schema"


def test_without_a_reachable_history_database_luigid_does_not_start(tmp_path, monkeypatch):
    monkeypatch.delenv("D2B_SCHEDULER_HISTORY_DB", raising=False)
    monkeypatch.setenv("D2B_WAREHOUSE_DSN", f"postgresql://etl:{PASSWORD}@127.0.0.1:{free_port()}/dwh")
    folder = tmp_path / "scheduler"
    result = subprocess.run(
        [str(BIN / "d2b"), "scheduler", "start", "--port", str(free_port()), "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("d2b scheduler: no database for the task history: cannot connect to the warehouse")
    assert PASSWORD not in result.stderr
    assert not (folder / "luigid.pid").exists()


LATER = TINY_DATE + dt.timedelta(days=1)


def a_failed_run_shows_100_percent_for_finished_steps_and_failed_for_the_failed_one(pipeline, port, tmp_path):
    """Progress in luigid is true: 100 % when a step finishes, and a failed step's message says it failed."""
    landing = pipeline.landing_dir(LATER)
    generate(landing, pipeline.dimensions, orders=80_000, as_of=LATER, seed=3)
    reviews = landing / "reviews.csv"
    reviews.write_text(reviews.read_text().rstrip("\n") + "\n9,1\n")
    orders_bytes = (landing / "orders.csv").stat().st_size
    body = orders_bytes - len((landing / "orders.csv").read_bytes().split(b"\n", 1)[0]) - 1
    assert orders_bytes > 2 << 20, "several chunks of 1 MiB"
    run = run_luigi("RunAll", "--date", str(LATER), "--scheduler-port", str(port), lock_dir=tmp_path / "lock")
    assert run.returncode == 30, run.stderr[-3000:]
    tasks = {
        f"{t['name']} {t['params'].get('name', '')}".strip(): t
        for t in api(port, "task_list", {"status": "", "upstream_status": "", "search": ""}).values()
        if t["params"].get("date") == str(LATER)
    }

    for name in ("Download orders", "LoadStaging orders", "Download reviews", "LoadStaging shipment_deliveries"):
        assert tasks[name]["status"] == "DONE", tasks[name]
        assert tasks[name]["progress_percentage"] == 100, tasks[name]
    assert tasks["Download orders"]["status_message"] == f"downloaded {orders_bytes:,} of {orders_bytes:,} bytes"
    assert tasks["LoadStaging orders"]["status_message"] == f"loaded {body:,} of {body:,} bytes, 80,000 rows"
    failed = tasks["LoadStaging reviews"]
    assert failed["status"] == "FAILED"
    assert failed["status_message"].startswith(f"failed: {reviews}: 1 of "), failed
    assert "rows rejected" in failed["status_message"]
