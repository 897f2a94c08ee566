"""Fixtures: a real PostgreSQL (D2B_TEST_DSN, else an embedded one), isolated schemas per test, moto for S3."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import luigi
import psycopg2
import pytest
from luigi.task_register import Register

from d2b_luigi import embedded

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
TINY_DATE = dt.date(2025, 7, 1)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def dsn() -> str:
    """The test warehouse: D2B_TEST_DSN, else an embedded PostgreSQL for the session, stopped at its end.

    Never skips: a missing database is a test failure.
    """
    url = os.environ.get("D2B_TEST_DSN")
    data_dir = None
    if not url:
        # outside pytest's temp root, which a concurrent pytest may make private to root again
        data_dir = Path(tempfile.mkdtemp(prefix="d2b-test-pg-")) / "data"
        url = embedded.embedded_dsn(data_dir)
    psycopg2.connect(url, connect_timeout=10).close()
    yield url
    if data_dir is not None:
        embedded.stop(data_dir)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


class Pipeline:
    """One isolated deployment: its own schemas, work dir, landing and export folders."""

    def __init__(self, dsn: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dsn = dsn
        self.root = root
        self.id = "t_" + uuid.uuid4().hex[:10]
        self.common = self.id + "_common"
        self.landing = root / "lake" / "landing"
        self.exports = root / "lake" / "export"
        self.dimensions = root / "lake" / "dimensions"
        self.env = {
            "D2B_WAREHOUSE_DSN": dsn,
            "D2B_ID": self.id,
            "D2B_COMMON_SCHEMA": self.common,
            "D2B_WORK_DIR": str(root / "work"),
            "D2B_LANDING_URL": str(self.landing / "{date}"),
            "D2B_EXPORT_URL": str(self.exports / "{id}" / "{date}"),
            "D2B_DIMENSIONS_URL": str(self.dimensions),
            "D2B_SEED_DIMENSIONS": "true",
        }
        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        Register.clear_instance_cache()

    def landing_dir(self, date: dt.date) -> Path:
        return self.landing / date.isoformat()

    def put_tiny(self, date: dt.date = TINY_DATE) -> None:
        """Land the tiny example's files for ``date`` and its dimension CSVs."""
        self.landing_dir(date).mkdir(parents=True, exist_ok=True)
        self.dimensions.mkdir(parents=True, exist_ok=True)
        for name in ("orders", "reviews", "shipment_deliveries"):
            shutil.copy(TINY / f"{name}.csv", self.landing_dir(date) / f"{name}.csv")
        for name in ("dim_dates", "dim_products"):
            shutil.copy(TINY / f"{name}.csv", self.dimensions / f"{name}.csv")

    def build(self, *tasks: luigi.Task, **kwargs) -> luigi.execution_summary.LuigiRunResult:
        """luigi.build with a local scheduler, its tasks run in this process (whatever luigi.cfg's ``workers``);
        the result's ``errors`` holds the failed tasks' messages."""
        Register.clear_instance_cache()
        kwargs.setdefault("local_scheduler", True)
        kwargs.setdefault("workers", 1)
        kwargs.setdefault("log_level", "WARNING")
        errors: list[str] = []

        def on_failure(task, exception):
            errors.append(f"{task}: {exception}")

        luigi.Task.event_handler(luigi.Event.FAILURE)(on_failure)
        try:
            result = luigi.build(list(tasks), detailed_summary=True, **kwargs)
        finally:
            luigi.Task._event_callbacks[luigi.Task][luigi.Event.FAILURE].discard(on_failure)
        result.errors = "\n".join(errors)
        return result

    def query(self, statement: str, params=()) -> list[tuple]:
        with psycopg2.connect(self.dsn) as connection, connection.cursor() as cursor:
            cursor.execute(statement.format(s=self.id + "_staging", a=self.id + "_analytics", c=self.common), params)
            rows = cursor.fetchall() if cursor.description else []
        connection.close()
        return rows

    def analytics(self, date: dt.date) -> dict[str, dict]:
        """The date's row of each analytics table, as {column: value} with JSON-like values."""
        result = {}
        for table in ("agg_public_holiday", "agg_shipments", "best_performing_product"):
            with psycopg2.connect(self.dsn) as connection, connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", (f'"{self.id}_analytics"."{table}"',))
                rows, names = [], []
                if cursor.fetchone()[0]:
                    cursor.execute(f'SELECT * FROM "{self.id}_analytics"."{table}" WHERE ingestion_date = %s', (date,))
                    rows = cursor.fetchall()
                    names = [c.name for c in cursor.description]
            connection.close()
            assert len(rows) <= 1, f"{table} has {len(rows)} rows for {date}"
            result[table] = (
                {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in zip(names, rows[0], strict=True)}
                if rows
                else None
            )
        return result

    def drop(self) -> None:
        with psycopg2.connect(self.dsn) as connection, connection.cursor() as cursor:
            for schema in (f"{self.id}_staging", f"{self.id}_analytics", self.common, f"{self.id}_scheduler"):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.close()


@pytest.fixture
def pipeline(dsn, tmp_path, monkeypatch) -> Pipeline:
    p = Pipeline(dsn, tmp_path, monkeypatch)
    yield p
    p.drop()
    Register.clear_instance_cache()


@pytest.fixture
def aws_env(monkeypatch) -> None:
    """Fake credentials, so nothing can reach real AWS."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3(aws_env):
    """In-process moto S3 with a bucket ``lake``; yields a boto3 client."""
    import boto3
    from moto import mock_aws

    from d2b_luigi import lake

    lake._s3_client.cache_clear()
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="lake")
        yield client
    lake._s3_client.cache_clear()


@pytest.fixture(scope="session")
def moto_server():
    """moto's threaded S3 server on a free local port, for `luigi` subprocesses; yields its endpoint URL."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
