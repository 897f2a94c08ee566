"""Missing, late and unreachable inputs; secrets never reach a log."""

from __future__ import annotations

import json
import logging
import shutil
import threading

import luigi
import psycopg2.extensions

from d2b_luigi import RunAll
from tests.commands import free_port, process_env, run_luigi
from tests.conftest import TINY, TINY_DATE

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
PASSWORD = "Sup3r-S3cret-pw"
AWS_SECRET = "AwsS3cretKeyThatMustNeverShow"


def test_an_unreachable_warehouse_is_named_without_its_password_and_the_next_run_completes(pipeline, tmp_path):
    pipeline.put_tiny()
    port = free_port()
    env = process_env(pipeline, D2B_WAREHOUSE_DSN=f"postgresql://etl:{PASSWORD}@127.0.0.1:{port}/dwh")

    down = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert down.returncode == 35, down.stderr[-3000:]
    assert f"cannot connect to the warehouse postgresql://etl:***@127.0.0.1:{port}/dwh" in down.stderr
    assert PASSWORD not in down.stderr + down.stdout
    assert not list((pipeline.exports).rglob("*.csv")), "nothing half written"

    up = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=process_env(pipeline), lock_dir=tmp_path)
    assert up.returncode == 0, up.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_an_unreachable_lake_is_named_and_fails_after_bounded_retries(pipeline, tmp_path):
    pipeline.put_tiny()
    env = process_env(
        pipeline,
        D2B_LANDING_URL="s3://lake/landing/{date}",
        D2B_S3_MAX_ATTEMPTS="2",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )

    result = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path, timeout=120)

    assert result.returncode != 0
    assert "cannot reach the lake to look for s3://lake/landing/2025-07-01/orders.csv" in result.stderr
    assert AWS_SECRET not in result.stderr + result.stdout


def test_a_full_run_logs_no_secret_even_at_debug_level(pipeline, moto_server, tmp_path, dsn):
    import boto3

    pipeline.put_tiny()
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key=AWS_SECRET,
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="secret-lake")
    for name in ("orders", "reviews", "shipment_deliveries"):
        s3.upload_file(str(TINY / f"{name}.csv"), "secret-lake", f"landing/2025-07-01/{name}.csv")
    with_password = psycopg2.extensions.make_dsn(dsn, password=PASSWORD)
    env = process_env(
        pipeline,
        D2B_WAREHOUSE_DSN=with_password,  # trust auth: the password is accepted and ignored
        D2B_LANDING_URL="s3://secret-lake/landing/{date}",
        D2B_EXPORT_URL="s3://secret-lake/exports/{date}",
        D2B_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hook?token={PASSWORD}",
        AWS_ENDPOINT_URL=moto_server,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
    )

    result = run_luigi(
        "RunAll", "--date", "2025-07-01", "--log-level", "DEBUG", "--local-scheduler", env=env, lock_dir=tmp_path
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "RunAll(date=2025-07-01)" in result.stderr, "the log is there"
    assert PASSWORD not in result.stderr + result.stdout
    assert AWS_SECRET not in result.stderr + result.stdout


def test_a_late_file_is_waited_for_a_bounded_number_of_looks(pipeline, monkeypatch):
    pipeline.put_tiny()
    landing = pipeline.landing_dir(TINY_DATE)
    late = landing.parent / "late"
    shutil.move(landing, late)
    monkeypatch.setenv("D2B_LANDING_CHECKS", "20")
    monkeypatch.setenv("D2B_LANDING_CHECK_INTERVAL", "0.1")
    arrives = threading.Timer(0.5, lambda: shutil.move(late, landing))
    arrives.start()

    result = pipeline.build(RunAll(date=TINY_DATE))

    arrives.join()
    assert result.status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_a_missing_file_gives_up_after_the_configured_looks_naming_its_url(pipeline, monkeypatch, caplog):
    pipeline.put_tiny()
    (pipeline.landing_dir(TINY_DATE) / "reviews.csv").unlink()
    monkeypatch.setenv("D2B_LANDING_CHECKS", "3")
    monkeypatch.setenv("D2B_LANDING_CHECK_INTERVAL", "0.05")

    with caplog.at_level(logging.INFO, logger="d2b_luigi"):
        result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.MISSING_EXT
    url = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    assert f"landing file missing: {url} (looked 3 times)" in caplog.text
    assert caplog.text.count(f"waiting for {url}") == 2
