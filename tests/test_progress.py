"""Progress of long steps: bytes as they go, at most once a second, always at the end; from a folder or S3."""

from __future__ import annotations

import boto3
from moto import mock_aws

from d2b_luigi import lake
from d2b_luigi.config import Settings
from d2b_luigi.tasks.base import Progress


class Recorder:
    def __init__(self) -> None:
        self.reports = []

    def set_progress_percentage(self, percent: int) -> None:
        self.reports.append(percent)

    def set_status_message(self, message: str) -> None:
        self.reports.append(message)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_reports_at_most_once_a_second_and_always_when_the_step_ends():
    task, clock = Recorder(), Clock()
    progress = Progress(task, 1000, "downloaded", clock=clock)
    for done in range(0, 1001, 10):  # 100 chunks, 0.1 s apart: 10 s in all
        clock.now = done / 100
        progress(done)
    progress.finish(1000, rows=42)

    percents = [r for r in task.reports if isinstance(r, int)]
    assert percents == [*range(10, 101, 10), 100]  # not the first second, then each second
    assert task.reports[-1] == "downloaded 1,000 of 1,000 bytes, 42 rows"


def test_slow_chunks_still_report_every_5_percent_at_most():
    task, clock = Recorder(), Clock()
    progress = Progress(task, 1000, "loaded", clock=clock)
    for done in range(0, 1001, 1):
        clock.now = 2.0 * (done + 1)
        progress(done)

    percents = [r for r in task.reports if isinstance(r, int)]
    assert percents == list(range(5, 101, 5))
    assert task.reports[1] == "loaded 50 of 1,000 bytes"


def test_fetch_from_s3_and_from_a_folder_counts_every_byte(tmp_path, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    lake._s3_client.cache_clear()
    body = bytes(range(256)) * (12 * 4096)  # 12 MiB: several multipart chunks
    (tmp_path / "orders.csv").write_bytes(body)
    settings = Settings()
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="lake")
        boto3.client("s3").put_object(Bucket="lake", Key="in/orders.csv", Body=body)
        for url in ("s3://lake/in/orders.csv", str(tmp_path / "orders.csv")):
            seen = []
            assert lake.size(settings, url) == len(body)
            lake.fetch(settings, url, str(tmp_path / "copy.csv"), seen.append)
            assert (tmp_path / "copy.csv").read_bytes() == body
            assert seen == sorted(seen) and seen[-1] == len(body)
    lake._s3_client.cache_clear()


def test_a_short_step_reports_once_when_it_ends():
    """A 6 MB file read in 1 MiB chunks within a second: one report, 100 %, at the end."""
    task = Recorder()
    progress = Progress(task, 6_401_833, "loaded", clock=Clock())  # the clock stands still
    for done in [*range(1 << 20, 6_401_833, 1 << 20), 6_401_833]:
        progress(done)
    progress.finish(6_401_833)

    assert task.reports == [100, "loaded 6,401,833 of 6,401,833 bytes"]
