"""The run log: every task run records when, how long, how it ended and the rows it moved."""

from __future__ import annotations

import luigi
import pytest

from d2b_luigi import RunAll
from d2b_luigi.tasks.extract import SOURCES
from d2b_luigi.tasks.transform import TABLES
from tests.conftest import TINY_DATE
from tests.faults import fail_transform

DATE = str(TINY_DATE)
# per-date steps of the tiny example and the rows each moved: (loaded, rejected, exported)
NONE = (None, None, None)
COUNTS = {
    **{f"Download:{DATE}:{name}": NONE for name in SOURCES},
    f"LoadStaging:{DATE}:orders": (8, 0, None),
    f"LoadStaging:{DATE}:reviews": (6, 0, None),
    f"LoadStaging:{DATE}:shipment_deliveries": (8, 0, None),
    **{f"Transform:{DATE}:{table}": NONE for table in TABLES},
    f"QualityCheck:{DATE}": NONE,
    **{f"Export:{DATE}:{table}": (None, None, 1) for table in TABLES},
    f"CleanUp:{DATE}": NONE,
}


@pytest.fixture
def finished(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    return pipeline


def test_every_task_run_is_logged_with_duration_and_row_counts(finished):
    rows = finished.query(
        "SELECT step_id, status, rows_loaded, rows_rejected, rows_exported, duration_s >= 0, finished_at >= started_at"
        " FROM {a}.run_log WHERE ingestion_date = %s",
        (TINY_DATE,),
    )
    assert {r[0]: r[2:5] for r in rows} == COUNTS
    assert all(r[1] == "done" and r[5] and r[6] for r in rows)
    # steps that are not per date are logged too, without a date
    # (MigrateSchema, Dimensions, 3 CreateStagingTable, 3 CreateAnalyticsTable)
    assert finished.query("SELECT count(*) FROM {a}.run_log WHERE ingestion_date IS NULL") == [(8,)]


def test_a_failed_task_is_logged_with_its_error(pipeline, monkeypatch):
    pipeline.put_tiny()
    fail_transform(monkeypatch, "agg_shipments")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    step = f"Transform:{DATE}:agg_shipments"
    assert pipeline.query("SELECT status, error FROM {a}.run_log WHERE step_id = %s", (step,)) == [
        ("failed", "RuntimeError: injected failure")
    ]
    assert pipeline.query("SELECT count(*) FROM {a}.run_log WHERE task_family = 'QualityCheck'") == [(0,)]
