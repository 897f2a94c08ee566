"""Reruns change nothing; a step that fails part-way leaves nothing half written; dates never interfere."""

from __future__ import annotations

import datetime as dt
import json

import luigi
import pytest

from d2b_luigi import RunAll, Transform, warehouse
from d2b_luigi.config import settings
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())


def snapshot(pipeline, date: dt.date) -> dict:
    """Everything a run leaves behind: analytics rows, markers, staging rows, exports, quality results."""
    folder = pipeline.exports / pipeline.id / date.isoformat()
    return {
        "analytics": pipeline.analytics(date),
        "markers": sorted(r[0] for r in pipeline.query("SELECT update_id FROM {a}.task_markers")),
        "staging": [
            pipeline.query(f"SELECT count(*) FROM {{s}}.{t}")[0][0]
            for t in ("orders", "reviews", "shipment_deliveries")
        ],
        "exports": {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {},
        "quality": pipeline.query(
            "SELECT check_name, passed, failing_rows FROM {a}.quality_results ORDER BY check_name"
        ),
        "work_files": sorted(str(p) for p in (pipeline.root / "work" / "download").rglob("*") if p.is_file()),
    }


def test_second_run_runs_nothing_and_changes_nothing(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    first = snapshot(pipeline, TINY_DATE)

    second = pipeline.build(RunAll(date=TINY_DATE))

    assert second.status == luigi.LuigiStatusCode.SUCCESS
    assert "Did not run any tasks" in second.summary_text
    assert snapshot(pipeline, TINY_DATE) == first
    assert first["analytics"] == EXPECTED
    assert first["staging"] == [0, 0, 0], "clean-up removes the date's staging rows"
    assert first["work_files"] == [], "clean-up removes the date's downloads"


class CommitFails:
    """Make the n-th step transaction fail just before its commit (rows written, marker touched)."""

    def __init__(self, monkeypatch, fail_at: int) -> None:
        self.fail_at = fail_at
        self.commits = 0
        real_connect = warehouse.connect
        plan = self

        class Connection:
            def __init__(self, real):
                object.__setattr__(self, "real", real)

            def __getattr__(self, name):
                return getattr(self.real, name)

            def __setattr__(self, name, value):
                setattr(self.real, name, value)

            def commit(self):
                plan.commits += 1
                if plan.commits == plan.fail_at:
                    raise RuntimeError(f"injected failure before commit #{plan.fail_at}")
                self.real.commit()

        monkeypatch.setattr(warehouse, "connect", lambda dsn, **kw: Connection(real_connect(dsn, **kw)))
        monkeypatch.setattr(warehouse, "_idle", {})  # no connection made before the patch is reused


def count_step_commits(pipeline, monkeypatch) -> int:
    plan = CommitFails(monkeypatch, fail_at=0)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    monkeypatch.undo()
    return plan.commits


def test_every_database_step_commits_through_one_transaction(pipeline, monkeypatch):
    """Dimensions, 3 partitions, 3 loads, 3 transforms, the checks, the publish, 3 exports, the clean-up and its
    3 partition drops (the schema is migrated already)."""
    pipeline.put_tiny()
    warehouse.ensure_schema(settings())
    assert count_step_commits(pipeline, monkeypatch) == 19


@pytest.mark.parametrize("fail_at", range(1, 20))
def test_a_step_failing_before_commit_then_a_rerun_gives_a_clean_result(pipeline, monkeypatch, fail_at):
    pipeline.put_tiny()
    warehouse.ensure_schema(settings())
    for key, value in pipeline.env.items():
        monkeypatch.setenv(key, value)
    CommitFails(monkeypatch, fail_at)

    failed = pipeline.build(RunAll(date=TINY_DATE))

    assert failed.status != luigi.LuigiStatusCode.SUCCESS
    monkeypatch.undo()
    for key, value in pipeline.env.items():
        monkeypatch.setenv(key, value)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    after = snapshot(pipeline, TINY_DATE)
    assert after["analytics"] == EXPECTED
    assert after["staging"] == [0, 0, 0]
    assert after["work_files"] == []
    assert len(after["exports"]) == 3
    assert all(passed for _, passed, _ in after["quality"])
    assert pipeline.query("SELECT count(*) FROM {a}.load_log") == [(3,)]


def test_a_copy_that_breaks_mid_stream_leaves_nothing(pipeline, monkeypatch):
    pipeline.put_tiny()
    real_read = warehouse.CountingReader.read

    def read(self, size=-1):
        if self.bytes > 0:
            raise OSError("connection to the lake dropped mid-file")
        return real_read(self, 20)

    monkeypatch.setattr(warehouse.CountingReader, "read", read)
    assert pipeline.build(RunAll(date=TINY_DATE)).status != luigi.LuigiStatusCode.SUCCESS
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
    assert not [m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers") if "LoadStaging" in m]

    monkeypatch.undo()
    for key, value in pipeline.env.items():
        monkeypatch.setenv(key, value)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_two_dates_in_either_order_give_independent_rows(pipeline):
    other = dt.date(2025, 6, 1)
    for date in (TINY_DATE, other):
        pipeline.put_tiny(date)
    assert pipeline.build(RunAll(date=other)).status == luigi.LuigiStatusCode.SUCCESS
    other_alone = pipeline.analytics(other)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.analytics(other) == other_alone
    # Hand-checked for 2025-06-01: orders after it do not count.
    assert other_alone["agg_shipments"]["tt_undelivered_items"] == 1
    assert other_alone["agg_public_holiday"]["tt_order_hol_may"] == 2


def test_two_dates_in_the_other_order(pipeline):
    other = dt.date(2025, 6, 1)
    for date in (TINY_DATE, other):
        pipeline.put_tiny(date)
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.build(RunAll(date=other)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert pipeline.analytics(other)["agg_shipments"] == {
        "ingestion_date": "2025-06-01",
        "tt_late_shipments": 2,
        "tt_undelivered_items": 1,
    }


def test_a_single_step_rerun_after_cleanup_recreates_what_it_needs(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    pipeline.query("DELETE FROM {a}.task_markers WHERE update_id = 'Transform:2025-07-01:agg_shipments'")
    pipeline.query("DELETE FROM {s}.agg_shipments")

    result = pipeline.build(Transform(date=TINY_DATE, table="agg_shipments"))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.summary_text
    assert pipeline.query("SELECT tt_late_shipments, tt_undelivered_items FROM {s}.agg_shipments") == [(2, 2)]
    assert pipeline.analytics(TINY_DATE) == EXPECTED, "the published rows are untouched"
    assert f"Download(warehouse_id={pipeline.id}, date=2025-07-01, name=orders)" in result.summary_text
    # The loads it redid are cleaned up by the next RunAll, and then RunAll is a no-op again.
    again = pipeline.build(RunAll(date=TINY_DATE))
    assert f"- 1 CleanUp(warehouse_id={pipeline.id}, date=2025-07-01)" in again.summary_text, again.summary_text
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
    assert "Did not run any tasks" in pipeline.build(RunAll(date=TINY_DATE)).summary_text


def test_any_task_runs_alone_with_only_what_it_needs(pipeline):
    pipeline.put_tiny()

    result = pipeline.build(Transform(date=TINY_DATE, table="agg_public_holiday"))

    assert result.status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.query("SELECT tt_order_hol_jan, tt_order_hol_may FROM {s}.agg_public_holiday") == [(1, 2)]
    assert pipeline.analytics(TINY_DATE)["agg_public_holiday"] is None, "written, not published"
    loaded = {m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers")}
    assert loaded == {"LoadStaging:2025-07-01:orders", "Transform:2025-07-01:agg_public_holiday"}
