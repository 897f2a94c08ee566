"""kill -9 of the luigi process inside each kind of step, then a rerun: the same result as a clean run."""

from __future__ import annotations

import json

import pytest

from d2b_luigi.generate import generate
from tests.commands import LuigiProcess, process_env, run_luigi, wait_until
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
CLEAN_MARKERS = [
    "CleanUp:2025-07-01",
    "Export:2025-07-01:agg_public_holiday",
    "Export:2025-07-01:agg_shipments",
    "Export:2025-07-01:best_performing_product",
    "Publish:2025-07-01",
    "QualityCheck:2025-07-01",
    "Transform:2025-07-01:agg_public_holiday",
    "Transform:2025-07-01:agg_shipments",
    "Transform:2025-07-01:best_performing_product",
]


def leftovers(pipeline) -> list[str]:
    """Files a finished date must not leave behind: downloads, temporary files."""
    return sorted(
        str(p.relative_to(pipeline.root))
        for p in pipeline.root.rglob("*")
        if p.is_file()
        and ("download" in p.parts or "luigi-tmp" in p.name or ".part-" in p.name or p.name.startswith("upload-"))
    )


@pytest.mark.parametrize(
    "place", ["Download", "LoadStaging", "Transform", "QualityCheck", "Publish", "Export", "CleanUp"]
)
def test_kill_9_inside_a_step_then_rerun_gives_the_clean_result(pipeline, tmp_path, place):
    pipeline.put_tiny()
    env = process_env(pipeline)
    run = LuigiProcess(
        "--local-scheduler", "RunAll", "--date", "2025-07-01", env={**env, "D2B_PAUSE_AT": place}, lock_dir=tmp_path
    )
    run.wait_for(f"d2b_luigi: paused at {place}")
    run.kill()

    again = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert again.returncode == 0, again.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert sorted(m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers")) == CLEAN_MARKERS
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
    assert pipeline.query("SELECT source, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8),
        ("reviews", 6),
        ("shipment_deliveries", 8),
    ]
    exports = pipeline.exports / pipeline.id / "2025-07-01"
    assert sorted(p.name for p in exports.iterdir()) == [f"{t}.csv" for t in sorted(EXPECTED)]
    assert (exports / "agg_shipments.csv").read_text() == (
        "ingestion_date,tt_late_shipments,tt_undelivered_items\n2025-07-01,2,2\n"
    )
    assert leftovers(pipeline) == []


def test_kill_9_during_a_real_copy_of_a_large_file(pipeline, tmp_path, dsn):
    """No pause point: the kill lands while PostgreSQL is executing the COPY of 200,000 orders."""
    import psycopg2

    generate(pipeline.landing_dir(TINY_DATE), pipeline.dimensions, orders=200_000, as_of=TINY_DATE, seed=7)
    env = process_env(pipeline)

    def copy_running() -> bool:
        with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'd2b_luigi'"
                " AND state = 'active' AND query LIKE 'COPY %%' AND query LIKE %s",
                (f"%{pipeline.id}_staging%",),
            )
            found = cursor.fetchone()[0] > 0
        connection.close()
        return found

    run = LuigiProcess("--local-scheduler", "RunAll", "--date", "2025-07-01", env=env, lock_dir=tmp_path)
    wait_until(copy_running, timeout=60, what="a COPY in progress")
    run.kill()
    killed_state = pipeline.query("SELECT count(*) FROM {a}.task_markers WHERE update_id LIKE 'LoadStaging%%'")

    again = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert again.returncode == 0, again.stderr[-3000:]
    assert killed_state[0][0] < 3, "the kill landed before the last load committed"
    assert pipeline.query("SELECT source, data_lines, rows_loaded, rows_rejected FROM {a}.load_log ORDER BY 1") == [
        ("orders", 200_000, 200_000, 0),
        ("reviews", 144_000, 144_000, 0),
        ("shipment_deliveries", 200_000, 200_000, 0),
    ]
    assert all(passed for (passed,) in pipeline.query("SELECT passed FROM {a}.quality_results"))
    assert leftovers(pipeline) == []


def test_a_bad_file_fixed_in_the_lake_after_a_kill_during_its_load_is_fetched_again(pipeline, tmp_path):
    """kill -9 inside the load of a bad file: no failure hook drops its download. Once the file is fixed in
    the lake, the rerun loads the lake's file, not the stale download."""
    pipeline.put_tiny()
    orders = pipeline.landing_dir(TINY_DATE) / "orders.csv"
    good = orders.read_bytes()
    orders.write_bytes(b"not,the,orders,header\n1,2,3,4\n")
    env = process_env(pipeline)
    run = LuigiProcess(
        "--local-scheduler",
        "RunAll",
        "--date",
        "2025-07-01",
        env={**env, "D2B_PAUSE_AT": "LoadStaging"},
        lock_dir=tmp_path,
    )
    run.wait_for("d2b_luigi: paused at LoadStaging")  # orders first: the bad file is read, nothing committed
    run.kill()
    download = pipeline.root / "work" / "download" / pipeline.id / "2025-07-01" / "orders.csv"
    assert download.read_bytes().startswith(b"not,the,orders")  # the stale download is still there
    orders.write_bytes(good)

    again = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert again.returncode == 0, again.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.query("SELECT source, rows_loaded FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8),
        ("reviews", 6),
        ("shipment_deliveries", 8),
    ]
    assert leftovers(pipeline) == []
