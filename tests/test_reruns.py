"""Forced reruns of any step after the clean-up, and a fresh warehouse pointed at a lake that holds the exports."""

from __future__ import annotations

import json

import luigi
import pytest

from d2b_luigi import RunAll, cli, warehouse
from d2b_luigi.tasks.pipeline import steps
from tests.commands import process_env, run_luigi
from tests.conftest import TINY, TINY_DATE
from tests.test_invalidate import last_run_id, runs_after, step_id

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATE = str(TINY_DATE)
CLEAN_MARKERS = sorted(
    [
        f"CleanUp:{DATE}",
        *(f"Export:{DATE}:{table}" for table in EXPECTED),
        f"Publish:{DATE}",
        f"QualityCheck:{DATE}",
        *(f"Transform:{DATE}:{table}" for table in EXPECTED),
    ]
)
EXPORTED_SHIPMENTS = "ingestion_date,tt_late_shipments,tt_undelivered_items\n2025-07-01,2,2\n"

# Each step that can be invalidated, narrowed to one table or file where it has that parameter.
STEPS = {
    "Download": ["--name", "orders"],
    "LoadStaging": ["--name", "orders"],
    "Transform": ["--table", "agg_shipments"],
    "QualityCheck": [],
    "Publish": [],
    "Export": ["--table", "agg_shipments"],
    "CleanUp": [],
}


@pytest.fixture
def finished(pipeline):
    """The tiny example, run to the end (cleaned up)."""
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    return pipeline


def assert_finished_and_clean(pipeline, markers: list[str] = CLEAN_MARKERS) -> None:
    """The date as a clean RunAll leaves it: published rows, exports, markers; no staging rows or downloads."""
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    export = pipeline.exports / pipeline.id / DATE
    assert sorted(p.name for p in export.iterdir()) == [f"{table}.csv" for table in sorted(EXPECTED)]
    assert (export / "agg_shipments.csv").read_text() == EXPORTED_SHIPMENTS
    assert sorted(m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers")) == markers
    for name in ("orders", "reviews", "shipment_deliveries"):
        assert pipeline.query(f"SELECT count(*) FROM {{s}}.{name}") == [(0,)]
    downloads = pipeline.root / "work" / "download"
    assert not downloads.exists() or not [p for p in downloads.rglob("*") if p.is_file()]
    assert RunAll(date=TINY_DATE).complete()


def step(family: str) -> luigi.Task:
    """The task ``d2b invalidate <family> <STEPS[family]>`` names."""
    wanted = dict(zip(STEPS[family][::2], STEPS[family][1::2], strict=True))
    return next(
        task
        for task in steps(TINY_DATE)
        if task.get_task_family() == family
        and all(str(task.param_kwargs[k.removeprefix("--")]) == v for k, v in wanted.items())
    )


@pytest.mark.parametrize("family", sorted(STEPS))
def test_invalidate_with_downstream_after_the_clean_up_then_runall(finished, family, capsys):
    first = last_run_id(finished)
    cli.main(["invalidate", family, *STEPS[family], "--date", DATE, "--downstream"])
    said = said_redone(capsys.readouterr().out)

    result = finished.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert_finished_and_clean(finished)
    assert said and sorted(said) == sorted(runs_after(finished, first)), "it redid what the command said"


def said_redone(out: str) -> list[str]:
    """The steps `d2b invalidate` says the next RunAll redoes, as the run log names them."""
    lines = out.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("the next `luigi --module d2b_luigi RunAll"))
    return [step_id(line.strip()) for line in lines[start + 1 :] if line.startswith("  ")]


@pytest.mark.parametrize("family", sorted(STEPS))
def test_invalidate_one_step_after_the_clean_up_run_it_alone_then_runall(finished, family, capsys, tmp_path):
    cli.main(["invalidate", family, *STEPS[family], "--date", DATE])
    out = capsys.readouterr().out
    alone = step(family)
    if family == "Download":  # the clean-up removed the download already
        assert out.startswith("nothing to remove: no target of 1 step(s) exists")
    elif family in ("Export", "CleanUp"):  # what RunAll itself requires
        assert f"the next `luigi --module d2b_luigi RunAll --date {DATE}` redoes these" in out
    else:
        assert f"RunAll --date {DATE} is still complete, so it will not redo this. Run the step alone:" in out

    assert finished.build(alone).status == luigi.LuigiStatusCode.SUCCESS
    if family == "Download":  # the date is cleaned up: the `luigi` command removes the download when it ends
        run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=process_env(finished), lock_dir=tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
    else:
        result = finished.build(RunAll(date=TINY_DATE))
        assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    if family == "Transform":  # its new rows are not audited yet (nor published): the next forced publish audits them
        assert_finished_and_clean(finished, [m for m in CLEAN_MARKERS if not m.startswith("QualityCheck")])
        cli.main(["status", "--date", DATE])
        said = capsys.readouterr().out.splitlines()
        assert said[0].endswith(": done") and said[2].startswith("pending: QualityCheck: a step was redone by hand")
        advice = f"d2b invalidate Publish --date {DATE} --downstream, then RunAll."
        assert said[3] == f"To audit and publish its rows: {advice}"
        cli.main(["invalidate", "Publish", "--date", DATE, "--downstream"])  # the advice, followed
        assert finished.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
        assert_finished_and_clean(finished)
        cli.main(["status", "--date", DATE])
        assert not any(line.startswith("pending:") for line in capsys.readouterr().out.splitlines())
    else:
        assert_finished_and_clean(finished)


def test_the_sequence_of_the_issue_export_downstream_after_the_clean_up(finished, capsys):
    """RunAll, `d2b invalidate Export --table agg_shipments --date D --downstream`, RunAll: once failed forever
    with UndefinedTable (the clean-up truncated the partitions its first run had dropped)."""
    first = last_run_id(finished)
    cli.main(["invalidate", "Export", "--table", "agg_shipments", "--date", DATE, "--downstream"])
    assert capsys.readouterr().out.splitlines() == [
        f"removed CleanUp(date={DATE}): marker CleanUp:{DATE}",
        f"removed Export(date={DATE}, table=agg_shipments): file "
        f"{finished.exports / finished.id / DATE / 'agg_shipments.csv'}",
        f"removed Export(date={DATE}, table=agg_shipments): marker Export:{DATE}:agg_shipments",
        f"the next `luigi --module d2b_luigi RunAll --date {DATE}` redoes these 2 steps:",
        f"  Export(date={DATE}, table=agg_shipments)",
        f"  CleanUp(date={DATE})",
    ]

    for _ in range(2):
        result = finished.build(RunAll(date=TINY_DATE))
        assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
        assert "UndefinedTable" not in result.errors
        assert_finished_and_clean(finished)
        assert runs_after(finished, first) == {f"Export:{DATE}:agg_shipments", f"CleanUp:{DATE}"}, "what it said"


@pytest.mark.parametrize("fresh", ["dropped schemas", "another warehouse id"])
def test_a_fresh_warehouse_and_a_lake_with_the_exports_redoes_the_date(finished, monkeypatch, fresh):
    export = finished.exports / finished.id / DATE
    monkeypatch.setenv("D2B_EXPORT_URL", str(export))  # the same export folder whatever the id
    (export / "agg_shipments.csv").write_text("written by another warehouse\n")
    if fresh == "dropped schemas":
        finished.query("DROP SCHEMA {s} CASCADE; DROP SCHEMA {a} CASCADE")
        warehouse._current.clear()  # what a new process (the next cron run) starts with
    else:
        old = finished.id
        finished.id = "t_fresh_" + old[2:]
        monkeypatch.setenv("D2B_ID", finished.id)
        finished.query(
            f'DROP SCHEMA IF EXISTS "{old}_staging" CASCADE; DROP SCHEMA IF EXISTS "{old}_analytics" CASCADE'
        )
    assert not RunAll(date=TINY_DATE).complete(), "the warehouse does not hold what the exports were written from"

    result = finished.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.errors
    assert finished.analytics(TINY_DATE) == EXPECTED
    assert (export / "agg_shipments.csv").read_text() == EXPORTED_SHIPMENTS, "rewritten from the fresh warehouse"
    assert sorted(m for (m,) in finished.query("SELECT update_id FROM {a}.task_markers")) == CLEAN_MARKERS
    assert finished.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
