"""Progress in luigid is true: 100 % when a step finishes, and a failed step's message says it failed."""

from __future__ import annotations

from d2b_luigi.generate import generate
from tests.commands import free_port, make, process_env, run_luigi
from tests.conftest import TINY_DATE
from tests.test_scheduler import api


def test_luigid_shows_100_percent_for_finished_steps_and_failed_for_a_failed_one(pipeline, tmp_path):
    port, folder = free_port(), tmp_path / "scheduler"
    landing = pipeline.landing_dir(TINY_DATE)
    generate(landing, pipeline.dimensions, orders=80_000, as_of=TINY_DATE, seed=3)
    reviews = landing / "reviews.csv"
    reviews.write_text(reviews.read_text().rstrip("\n") + "\n9,1\n")
    orders_bytes = (landing / "orders.csv").stat().st_size
    body = orders_bytes - len((landing / "orders.csv").read_bytes().split(b"\n", 1)[0]) - 1
    assert orders_bytes > 2 << 20, "several chunks of 1 MiB"
    make("scheduler", f"SCHEDULER_PORT={port}", f"SCHEDULER_DIR={folder}")
    try:
        run = run_luigi(
            "RunAll",
            "--date",
            str(TINY_DATE),
            "--scheduler-port",
            str(port),
            env=process_env(pipeline),
            lock_dir=tmp_path / "lock",
        )
        assert run.returncode == 30, run.stderr[-3000:]
        tasks = {
            f"{t['name']} {t['params'].get('name', '')}".strip(): t
            for t in api(port, "task_list", {"status": "", "upstream_status": "", "search": ""}).values()
        }
    finally:
        make("scheduler-stop", f"SCHEDULER_DIR={folder}")

    for name in ("Download orders", "LoadStaging orders", "Download reviews", "LoadStaging shipment_deliveries"):
        assert tasks[name]["status"] == "DONE", tasks[name]
        assert tasks[name]["progress_percentage"] == 100, tasks[name]
    assert tasks["Download orders"]["status_message"] == f"downloaded {orders_bytes:,} of {orders_bytes:,} bytes"
    assert tasks["LoadStaging orders"]["status_message"] == f"loaded {body:,} of {body:,} bytes, 80,000 rows"
    failed = tasks["LoadStaging reviews"]
    assert failed["status"] == "FAILED"
    assert failed["status_message"].startswith(f"failed: {reviews}: 1 of "), failed
    assert "rows rejected" in failed["status_message"]
