"""The central scheduler: `make scheduler` starts luigid, RunAll uses it, its API and history show the run."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import subprocess
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import psycopg2
import psycopg2.extensions
import sqlalchemy
from prometheus_client.parser import text_string_to_metric_families

from d2b_luigi.generate import generate
from d2b_luigi.tasks.pipeline import steps
from tests.commands import BIN, free_port, make, run_luigi
from tests.conftest import ROOT, TINY_DATE

PROGRESS = re.compile(r"^(downloaded|loaded|exported) [\d,]+ of [\d,]+ bytes")


def api(port: int, method: str, data: dict, host: str = "127.0.0.1") -> dict:
    query = urllib.parse.urlencode({"data": json.dumps(data)})
    with urllib.request.urlopen(f"http://{host}:{port}/api/{method}?{query}", timeout=10) as response:
        return json.load(response)["response"]


def get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, str]:
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as response:
        return response.status, response.read().decode()


def task_counters(port: int, host: str) -> dict[str, dict[str, float]]:
    """luigid's Prometheus task counters, scraped from /metrics: {"done": {family: count}, "failed": …}."""
    status, page = get(port, "/metrics", host)
    assert status == 200
    counters: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found = re.fullmatch(r"luigi_task_(\w+)_total", sample.name)
            if found:
                counters.setdefault(found.group(1), {})[sample.labels["family"]] = sample.value
    return counters


PASSWORD = "Sch3duler-must-not-see-this"


# not luigi.cfg's 127.0.0.1:8082: D2B_SCHEDULER_HOST/PORT move luigid and the luigi command
HOST = "127.0.0.2"


def test_runall_through_luigid_is_done_in_its_api_with_progress_history_and_metrics(
    pipeline, tmp_path, monkeypatch, dsn
):
    port, folder = free_port(), tmp_path / "scheduler"
    pipeline.put_tiny()
    # trust auth accepts and ignores the password; it must not show anywhere in the scheduler
    monkeypatch.setenv("D2B_WAREHOUSE_DSN", psycopg2.extensions.make_dsn(dsn, password=PASSWORD))
    monkeypatch.setenv("D2B_SCHEDULER_HOST", HOST)
    monkeypatch.setenv("D2B_SCHEDULER_PORT", str(port))
    make("scheduler", f"SCHEDULER_DIR={folder}")
    try:
        pid = (folder / "luigid.pid").read_text().strip()
        assert f"--address\x00{HOST}\x00--port\x00{port}\x00" in Path(f"/proc/{pid}/cmdline").read_text()

        run = run_luigi("RunAll", "--date", str(TINY_DATE), lock_dir=tmp_path / "lock")  # no --scheduler-port

        assert run.returncode == 0, run.stderr
        tasks = api(port, "task_list", {"status": "", "upstream_status": "", "search": ""}, HOST)
        expected = {task.task_id for task in steps(TINY_DATE)}
        assert {task_id: tasks[task_id]["status"] for task_id in expected} == dict.fromkeys(expected, "DONE")
        assert set(tasks) == expected
        database_steps = {"MigrateSchema", "Dimensions", "LoadStaging", "Transform", "QualityCheck", "Publish"}
        database_steps |= {"Export", "CleanUp"}
        for task in tasks.values():
            assert task["resources"] == ({"warehouse": 1} if task["name"] in database_steps else {}), task["name"]
        (cap,) = api(port, "resource_list", {}, HOST)
        assert (cap["name"], cap["num_total"]) == ("warehouse", 8), "luigid has the cap of config/luigid.cfg"

        families = Counter(task.task_family for task in steps(TINY_DATE))
        counters = task_counters(port, HOST)
        assert counters["done"] == families
        assert counters["started"] == families - Counter({"LandingFile": families["LandingFile"]})
        assert "failed" not in counters
        long_steps = [t for t in tasks.values() if t["name"] in ("Download", "LoadStaging", "Export")]
        assert len(long_steps) == 9
        for task in long_steps:
            assert task["progress_percentage"] == 100, task
            assert PROGRESS.match(task["status_message"]), task
        assert [t["status_message"] for t in long_steps if t["name"] == "Export"][0].endswith(", 1 rows")

        status, page = get(port, "/history", HOST)
        assert status == 200 and "RunAll" in page
        assert PASSWORD not in json.dumps(tasks) + page + run.stderr
        assert get(port, "/", HOST)[0] == 200  # the web view (the visualiser)

        a_failed_run_shows_100_percent_for_finished_steps_and_failed_for_the_failed_one(pipeline, port, tmp_path)
        assert task_counters(port, HOST)["failed"] == {"LoadStaging": 1}
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
    make("scheduler", f"SCHEDULER_DIR={folder}", f"D2B_SCHEDULER_PORT={port}")
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
        [str(BIN / "d2b"), "scheduler", "start", "--dir", str(folder)],
        env={**os.environ, "D2B_SCHEDULER_PORT": str(free_port())},
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
    run = run_luigi("RunAll", "--date", str(LATER), lock_dir=tmp_path / "lock")
    assert run.returncode == 30, run.stderr[-3000:]
    tasks = {
        f"{t['name']} {t['params'].get('name', '')}".strip(): t
        for t in api(port, "task_list", {"status": "", "upstream_status": "", "search": ""}, HOST).values()
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


def modes(folder: Path) -> dict[str, str]:
    """``{path relative to folder: "drwx------"…}`` of the folder and everything in it."""
    found = {".": stat.filemode(folder.stat().st_mode)}
    found |= {str(p.relative_to(folder)): stat.filemode(p.lstat().st_mode) for p in folder.rglob("*")}
    return found


def test_under_umask_000_the_scheduler_folder_is_0700_and_its_files_0600(pipeline, tmp_path):
    """luigid loads its state pickle when it starts: nobody else may write it, its logs or its pid file."""
    port, folder = free_port(), tmp_path / "scheduler"
    (folder / "log").mkdir(parents=True)
    old_log = folder / "log" / "luigi-server.log.2026-11-01"  # left by an earlier release, open to all
    old_log.write_text("an old log\n")
    for path, mode in ((folder, 0o777), (folder / "log", 0o777), (old_log, 0o666)):
        path.chmod(mode)
    pipeline.put_tiny()
    start = f"umask 000 && exec make -C {ROOT} scheduler SCHEDULER_DIR={folder} D2B_SCHEDULER_PORT={port}"
    started = subprocess.run(["sh", "-c", start], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        run = run_luigi("RunAll", "--date", str(TINY_DATE), "--scheduler-port", str(port), lock_dir=tmp_path / "lock")
        assert run.returncode == 0, run.stderr[-3000:]
        running = modes(folder)
    finally:
        make("scheduler-stop", f"SCHEDULER_DIR={folder}")
    stopped = modes(folder)

    assert "tornado.access" in (folder / "log" / "luigi-server.log").read_text(), "luigid wrote its log"
    assert set(running) == {".", "log", "luigid.pid", "log/luigid.out", "log/luigi-server.log", f"log/{old_log.name}"}
    assert set(stopped) == set(running) - {"luigid.pid"} | {"state.pickle"}
    for name, mode in (running | stopped).items():
        assert mode == ("drwx------" if name in (".", "log") else "-rw-------"), (name, mode)
