"""Missing, late and unreachable inputs; secrets never reach a log."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import psycopg2.extensions

from tests.commands import BIN, LuigiProcess, free_port, process_env, run_luigi
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
    assert f"RunAll(warehouse_id={pipeline.id}, date=2025-07-01)" in result.stderr, "the log is there"
    assert PASSWORD not in result.stderr + result.stdout
    assert AWS_SECRET not in result.stderr + result.stdout


def test_a_late_file_is_waited_for_while_the_worker_does_everything_else(pipeline, tmp_path):
    """Luigi's own external-task retry looks again; meanwhile the other files are downloaded and loaded."""
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    late = tmp_path / "reviews.csv"
    shutil.move(reviews, late)
    env = process_env(pipeline, D2B_LANDING_CHECKS="30", D2B_LANDING_CHECK_INTERVAL="1")
    run = LuigiProcess("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)
    run.wait_for(f"landing file missing: {reviews}")
    for table in ("agg_public_holiday", "agg_shipments"):  # the transforms that need no reviews
        run.wait_for(f"done      Transform(warehouse_id={pipeline.id}, date=2025-07-01, table={table})")
    shutil.move(late, reviews)

    assert run.finish() == 0, run.stderr[-3000:]
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert run.stderr.count(f"landing file missing: {reviews}") >= 2, "it looked more than once"


def test_a_missing_file_gives_up_after_the_configured_looks_naming_its_url(pipeline, tmp_path):
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    reviews.unlink()
    env = process_env(pipeline, D2B_LANDING_CHECKS="3", D2B_LANDING_CHECK_INTERVAL="0.5")

    result = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert result.returncode == 30, result.stderr[-3000:]
    looks = [line for line in result.stderr.splitlines() if line.endswith(f"landing file missing: {reviews}")]
    assert len(looks) == 3, looks
    assert all(line == f"WARNING: landing file missing: {reviews}" for line in looks), "as luigi's own lines"
    summary = result.stderr[result.stderr.index("===== Luigi Execution Summary =====") :]
    assert f"* 1 failed:\n    - 1 LandingFile(warehouse_id={pipeline.id}, date=2025-07-01, name=reviews)" in summary
    assert pipeline.analytics(TINY_DATE)["agg_shipments"] is None, "nothing is published without all files"


def test_while_waiting_for_late_files_a_failing_step_is_retried_as_often_as_the_looks_then_the_run_ends(
    pipeline, tmp_path
):
    pipeline.put_tiny()
    orders = pipeline.landing_dir(TINY_DATE) / "orders.csv"
    orders.write_text(orders.read_text().replace("order_id,", "id,", 1))
    env = process_env(pipeline, D2B_LANDING_CHECKS="3", D2B_LANDING_CHECK_INTERVAL="0.5")

    result = run_luigi("RunAll", "--date", "2025-07-01", "--local-scheduler", env=env, lock_dir=tmp_path)

    assert result.returncode == 30, result.stderr[-3000:]
    assert f"LoadStaging orders 2025-07-01: {orders}: line 1: expected header order_id," in result.stderr
    summary = result.stderr[result.stderr.index("===== Luigi Execution Summary =====") :]
    # the shipments file is checked too, against the orders file, which cannot be read
    assert (
        f"* 2 failed:\n    - 2 LoadStaging(warehouse_id={pipeline.id}, date=2025-07-01, name=orders) and "
        f"LoadStaging(warehouse_id={pipeline.id}, date=2025-07-01, name=shipment_deliveries)"
    ) in summary


def test_a_missing_file_without_waiting_is_missing_data(pipeline, tmp_path):
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    reviews.unlink()

    result = run_luigi(
        "RunAll", "--date", "2025-07-01", "--local-scheduler", env=process_env(pipeline), lock_dir=tmp_path
    )

    assert result.returncode == 20, result.stderr[-3000:]
    looks = [line for line in result.stderr.splitlines() if line.endswith(f"landing file missing: {reviews}")]
    assert len(looks) == 1, looks
    assert f"MISSING  LandingFile reviews 2025-07-01: landing file missing: {reviews} (more: " in result.stderr


def test_status_and_report_never_wait_for_a_late_file(pipeline, tmp_path):
    """With a wait of 1000 looks x 1000 s configured, both answer at once (the subprocess timeout would fail)."""
    pipeline.put_tiny()
    (pipeline.landing_dir(TINY_DATE) / "reviews.csv").unlink()
    env = process_env(pipeline, D2B_LANDING_CHECKS="1000", D2B_LANDING_CHECK_INTERVAL="1000")
    d2b = str(BIN / "d2b")

    status = subprocess.run(
        [d2b, "status", "--date", "2025-07-01"], env=env, capture_output=True, text=True, timeout=60
    )
    report = subprocess.run(
        [d2b, "report", "--date", "2025-07-01", "--output", str(tmp_path / "r.html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert status.returncode == 1, status.stderr
    assert re.search(r"^LandingFile reviews +missing$", status.stdout, re.MULTILINE), status.stdout
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "r.html").exists()
