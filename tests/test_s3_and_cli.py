"""The lake on S3 (moto), and the real `luigi` command with its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import luigi
import pytest

from d2b_luigi import RunAll, lake
from d2b_luigi.tasks.extract import Download
from tests.commands import process_env, run_luigi
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())


def put_tiny_on_s3(client, date=TINY_DATE) -> None:
    for name in ("orders", "reviews", "shipment_deliveries"):
        client.upload_file(str(TINY / f"{name}.csv"), "lake", f"landing/{date.isoformat()}/{name}.csv")


def test_landing_and_export_on_s3(pipeline, s3, monkeypatch):
    pipeline.put_tiny()  # the dimension CSVs stay local
    put_tiny_on_s3(s3)
    monkeypatch.setenv("D2B_LANDING_URL", "s3://lake/landing/{date}")
    monkeypatch.setenv("D2B_EXPORT_URL", "s3://lake/exports/{id}/{date}")

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.SUCCESS, result.summary_text
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    body = s3.get_object(Bucket="lake", Key=f"exports/{pipeline.id}/2025-07-01/agg_shipments.csv")["Body"].read()
    assert body == b"ingestion_date,tt_late_shipments,tt_undelivered_items\n2025-07-01,2,2\n"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="exports/")["Contents"])
    assert [k.rsplit("/", 1)[1] for k in keys] == [
        "agg_public_holiday.csv",
        "agg_shipments.csv",
        "best_performing_product.csv",
    ]


def test_a_download_counts_only_while_the_landing_file_on_s3_is_unchanged(pipeline, s3, monkeypatch):
    monkeypatch.setenv("D2B_LANDING_URL", "s3://lake/landing/{date}")
    key = "landing/2025-07-01/orders.csv"
    s3.put_object(Bucket="lake", Key=key, Body=b"first\n")
    download = Download(date=TINY_DATE, name="orders")
    assert not download.complete()

    assert pipeline.build(download).status == luigi.LuigiStatusCode.SUCCESS
    assert download.complete()
    s3.put_object(Bucket="lake", Key=key, Body=b"fixed\n")  # the same size: only the ETag tells
    assert not download.complete()

    assert pipeline.build(download).status == luigi.LuigiStatusCode.SUCCESS
    assert download.complete()
    assert Path(download.output().path).read_bytes() == b"fixed\n"
    s3.delete_object(Bucket="lake", Key=key)
    with pytest.raises(FileNotFoundError):
        lake.fingerprint(download.settings, f"s3://lake/{key}")


def subprocess_env(pipeline, endpoint: str) -> dict[str, str]:
    return process_env(
        pipeline,
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        D2B_LANDING_URL="s3://cli-lake/{id}/landing/{date}",
        D2B_EXPORT_URL="s3://cli-lake/{id}/exports/{date}",
    )


def moto_client(endpoint: str):
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    if "cli-lake" not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket="cli-lake")
    return client


def test_luigi_command_against_moto_server_exits_0_then_runs_nothing(pipeline, moto_server, tmp_path):
    client = moto_client(moto_server)
    pipeline.put_tiny()
    for name in ("orders", "reviews", "shipment_deliveries"):
        client.upload_file(str(TINY / f"{name}.csv"), "cli-lake", f"{pipeline.id}/landing/2025-07-01/{name}.csv")
    env = subprocess_env(pipeline, moto_server)

    first = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)
    second = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert first.returncode == 0, first.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    export = client.get_object(Bucket="cli-lake", Key=f"{pipeline.id}/exports/2025-07-01/agg_public_holiday.csv")
    assert export["Body"].read().decode().splitlines()[1] == "2025-07-01,1,0,0,0,2,0,0,0,0,0,0,1"
    assert second.returncode == 0
    assert "Did not run any tasks" in second.stderr


def test_missing_landing_file_exits_with_missing_data_code_and_names_the_url(pipeline, moto_server, tmp_path):
    client = moto_client(moto_server)
    pipeline.put_tiny()
    for name in ("orders", "reviews"):  # no shipment_deliveries.csv today
        client.upload_file(str(TINY / f"{name}.csv"), "cli-lake", f"{pipeline.id}/landing/2025-07-01/{name}.csv")

    result = run_luigi(
        "RunAll",
        "--date",
        "2025-07-01",
        "--local-scheduler",
        env=subprocess_env(pipeline, moto_server),
        lock_dir=tmp_path,
    )

    assert result.returncode == 20, result.stderr[-3000:]
    assert f"LandingFile(warehouse_id={pipeline.id}, date=2025-07-01, name=shipment_deliveries)" in result.stderr
    assert pipeline.analytics(TINY_DATE)["agg_shipments"] is None


def test_missing_dimension_table_is_named_and_exits_non_zero(pipeline, tmp_path):
    pipeline.put_tiny()
    env = process_env(pipeline, D2B_SEED_DIMENSIONS="false")

    result = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert result.returncode == 30, result.stderr[-3000:]
    assert f"dimension table(s) missing: {pipeline.common}.dim_dates, {pipeline.common}.dim_products" in result.stderr
    assert pipeline.query("SELECT to_regclass(%s)", (f"{pipeline.common}.dim_dates",)) == [(None,)]
