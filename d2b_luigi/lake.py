"""The data lake behind one small interface: ``s3://bucket/key`` URLs or local paths, as luigi targets.

``luigi.contrib.s3`` (and so boto3) is imported only when an s3:// URL is used: on a local lake that
import would be a fifth of the start-up time of every luigi command.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import luigi
import luigi.format

from d2b_luigi.config import Settings

if TYPE_CHECKING:
    from luigi.contrib.s3 import S3Client


def is_s3(url: str) -> bool:
    return url.startswith("s3://")


@functools.cache
def _s3_client(max_attempts: int, pid: int) -> S3Client:
    from botocore.config import Config
    from luigi.contrib.s3 import S3Client

    # AWS_ENDPOINT_URL (MinIO, LocalStack, moto server) and the credential chain are boto3's own.
    return S3Client(config=Config(retries={"mode": "standard", "max_attempts": max_attempts}))


def s3_client(settings: Settings) -> S3Client:
    return _s3_client(settings.s3_max_attempts, os.getpid())


def target(settings: Settings, url: str) -> luigi.target.FileSystemTarget:
    """A binary luigi target for ``url``; writing through ``open("w")`` is atomic on both kinds."""
    if is_s3(url):
        from luigi.contrib.s3 import S3Target

        return S3Target(url, client=s3_client(settings), format=luigi.format.Nop)
    return luigi.LocalTarget(url, format=luigi.format.Nop)


def fetch(settings: Settings, url: str, local_path: str) -> None:
    """Copy the lake file ``url`` to ``local_path`` (a temporary path the caller renames)."""
    Path(local_path).parent.mkdir(parents=True, exist_ok=True)
    if is_s3(url):
        s3_client(settings).get(url, local_path)
    else:
        shutil.copyfile(url, local_path)
