"""Forced reruns: `d2b invalidate` removes a step's targets (and its dependants'), so the next run redoes them."""

from __future__ import annotations

import json

import boto3
import luigi
import pytest
from moto import mock_aws

from d2b_luigi import RunAll, Transform, cli, lake
from d2b_luigi.catalog import SOURCES, TABLES
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
DATE = str(TINY_DATE)


# what RunAll redoes after `invalidate Transform --table agg_shipments --downstream` of the finished (cleaned-up)
# date, in the order the command lists it: stage by stage
REDONE = [
    *(f"{family}(date={DATE}, name={name})" for family in ("Download", "LoadStaging") for name in SOURCES),
    f"Transform(date={DATE}, table=agg_shipments)",
    f"QualityCheck(date={DATE})",
    f"Publish(date={DATE})",
    *(f"Export(date={DATE}, table={table})" for table in TABLES),
    f"CleanUp(date={DATE})",
]


def step_id(shown: str) -> str:
    """``Export(date=D, table=t)`` as the run log names it: ``Export:D:t``."""
    family, params = shown.rstrip(")").split("(")
    return ":".join([family, *(value.split("=")[1] for value in params.split(", "))])


def markers(pipeline) -> set[str]:
    return {m for (m,) in pipeline.query("SELECT update_id FROM {a}.task_markers")}


def runs_after(pipeline, run_id: int) -> set[str]:
    return {s for (s,) in pipeline.query("SELECT step_id FROM {a}.run_log WHERE run_id > %s", (run_id,))}


def last_run_id(pipeline) -> int:
    return pipeline.query("SELECT max(run_id) FROM {a}.run_log")[0][0]


@pytest.fixture
def finished(pipeline):
    """The tiny example, run to the end."""
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    return pipeline


def test_dry_run_lists_the_targets_and_removes_nothing(finished, capsys):
    before = markers(finished)

    cli.main(["invalidate", "Transform", "--date", DATE, "--table", "agg_shipments", "--downstream", "--dry-run"])

    out = capsys.readouterr().out.splitlines()
    export = finished.exports / finished.id / DATE
    assert out == [
        f"would remove CleanUp(date={DATE}): marker CleanUp:{DATE}",
        *(
            line
            for table in ("best_performing_product", "agg_shipments", "agg_public_holiday")
            for line in (
                f"would remove Export(date={DATE}, table={table}): file {export / (table + '.csv')}",
                f"would remove Export(date={DATE}, table={table}): marker Export:{DATE}:{table}",
            )
        ),
        f"would remove Publish(date={DATE}): marker Publish:{DATE}",
        f"would remove QualityCheck(date={DATE}): marker QualityCheck:{DATE}",
        f"would remove Transform(date={DATE}, table=agg_shipments): marker Transform:{DATE}:agg_shipments",
        f"the next `luigi --module d2b_luigi RunAll --date {DATE}` would then redo these 13 steps:",
        *(f"  {step}" for step in REDONE),
    ]
    assert markers(finished) == before
    assert len(list(export.iterdir())) == 3


def test_downstream_makes_the_next_runall_redo_exactly_that(finished, capsys):
    first = last_run_id(finished)

    cli.main(["invalidate", "Transform", "--date", DATE, "--table", "agg_shipments", "--downstream"])

    out = capsys.readouterr().out
    assert f"removed Transform(date={DATE}, table=agg_shipments): marker Transform:{DATE}:agg_shipments" in out
    said = out[out.index(f"the next `luigi --module d2b_luigi RunAll --date {DATE}` redoes these 13 steps:\n") :]
    assert said.splitlines()[1:] == [f"  {step}" for step in REDONE]
    assert markers(finished) == {f"Transform:{DATE}:agg_public_holiday", f"Transform:{DATE}:best_performing_product"}
    assert not any((finished.exports / finished.id / DATE).iterdir())

    assert finished.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    # the other two transforms are not redone; the loads are, because CleanUp removed them and the checks need
    # them: what the command said
    assert runs_after(finished, first) == {step_id(step) for step in REDONE}
    assert finished.analytics(TINY_DATE) == EXPECTED
    assert len(list((finished.exports / finished.id / DATE).iterdir())) == 3


def test_without_downstream_it_says_how_to_rerun_the_step_alone(finished, capsys):
    first = last_run_id(finished)

    cli.main(["invalidate", "Transform", "--date", DATE, "--table", "agg_shipments"])

    out = capsys.readouterr().out
    assert f"RunAll --date {DATE} is still complete" in out
    assert f"luigi --module d2b_luigi Transform --date {DATE} --table agg_shipments" in out
    assert f"Transform:{DATE}:agg_shipments" not in markers(finished)
    assert finished.build(Transform(date=TINY_DATE, table="agg_shipments")).status == luigi.LuigiStatusCode.SUCCESS
    assert f"Transform:{DATE}:agg_shipments" in runs_after(finished, first)
    assert finished.analytics(TINY_DATE) == EXPECTED


def test_an_export_in_s3_is_deleted_and_exported_again(pipeline, monkeypatch, capsys):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("D2B_EXPORT_URL", "s3://lake/export/{id}/{date}")
    lake._s3_client.cache_clear()
    pipeline.put_tiny()
    key = f"export/{pipeline.id}/{DATE}/agg_shipments.csv"
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake")
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
        exported = s3.get_object(Bucket="lake", Key=key)["Body"].read()

        cli.main(["invalidate", "Export", "--date", DATE, "--table", "agg_shipments"])

        assert f"removed Export(date={DATE}, table=agg_shipments): file s3://lake/{key}" in capsys.readouterr().out
        assert s3.list_objects_v2(Bucket="lake", Prefix=key)["KeyCount"] == 0
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
        assert s3.get_object(Bucket="lake", Key=key)["Body"].read() == exported
    lake._s3_client.cache_clear()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["LandingFile"], "cannot invalidate 'LandingFile'"),
        (["Dimensions"], "cannot invalidate 'Dimensions'"),
        (["LoadStaging", "--table", "agg_shipments"], "LoadStaging has no parameter table"),
    ],
)
def test_it_refuses_what_is_not_a_step_of_the_date(pipeline, args, message):
    with pytest.raises(SystemExit) as stop:
        cli.main(["invalidate", *args, "--date", DATE])
    assert message in str(stop.value)
