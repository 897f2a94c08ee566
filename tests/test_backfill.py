"""Backfills: `RangeDaily --of RunAll` covers old ranges (past Luigi's 100-day default) with parallel workers."""

from __future__ import annotations

import datetime as dt
import json

from d2b_luigi import RunAll
from tests.commands import run_luigi
from tests.conftest import TINY, TINY_DATE, Pipeline

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATES = [TINY_DATE - dt.timedelta(days=2), TINY_DATE - dt.timedelta(days=1), TINY_DATE]


def test_rangedaily_backfills_three_old_dates_with_two_workers(pipeline, dsn, tmp_path, monkeypatch):
    assert (dt.date.today() - DATES[0]).days > 100, "the range must be older than RangeDaily's default days_back"
    for date in DATES:
        pipeline.put_tiny(date)

    run = run_luigi(
        *("RangeDaily", "--of", "RunAll", "--start", str(DATES[0]), "--stop", str(DATES[-1] + dt.timedelta(days=1))),
        *("--workers", "2", "--local-scheduler"),
        lock_dir=tmp_path / "lock",
    )

    assert run.returncode == 0, run.stderr
    # luigi's summary writes consecutive dates as a range
    assert f"3 CleanUp(warehouse_id={pipeline.id}, date={DATES[0]}...{DATES[-1]})" in run.stderr, run.stderr
    backfilled = {date: pipeline.analytics(date) for date in DATES}
    assert backfilled[TINY_DATE] == EXPECTED
    steps_per_date = pipeline.query(
        "SELECT ingestion_date, count(DISTINCT step_id) FROM {a}.run_log"
        " WHERE status = 'done' AND ingestion_date IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    assert steps_per_date == [(date, 15) for date in DATES], (
        "3 downloads, 3 loads, 3 transforms, check, publish, 3 exports, clean-up"
    )
    assert pipeline.query("SELECT count(*) FROM {a}.quality_results WHERE NOT passed") == [(0,)]
    for date in DATES:
        assert len(list((pipeline.exports / pipeline.id / str(date)).iterdir())) == 3

    # The same dates run one by one, in-process, in a deployment of their own, give the same rows.
    reference = Pipeline(dsn, tmp_path / "reference", monkeypatch)
    try:
        for date in DATES:
            reference.put_tiny(date)
            assert reference.build(RunAll(date=date)).scheduling_succeeded
            assert reference.analytics(date) == backfilled[date]
    finally:
        reference.drop()
