"""The data lake behind one small interface: ``s3://bucket/key`` URLs or local paths, as luigi targets.

``luigi.contrib.s3`` (and so boto3) is imported only when an s3:// URL is used: on a local lake that
import would be a fifth of the start-up time of every luigi command.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import re
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

import luigi
import luigi.format

from d2b_luigi.config import Settings
from d2b_luigi.faults import pause_point

FILE_CHUNK = 1 << 20

if TYPE_CHECKING:
    from luigi.contrib.s3 import S3Client


class LakeUnreachable(RuntimeError):
    """The lake could not be reached to look at a file; the message names it."""


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


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` as (bucket, key)."""
    parts = urlsplit(url)
    return parts.netloc, parts.path.lstrip("/")


def size(settings: Settings, url: str) -> int:
    """The size in bytes of the lake file ``url``."""
    if is_s3(url):
        bucket, key = split_s3(url)
        return s3_client(settings).s3.meta.client.head_object(Bucket=bucket, Key=key)["ContentLength"]
    return os.path.getsize(url)


def fingerprint(settings: Settings, url: str) -> str:
    """What identifies the lake file ``url`` as it is now: ETag and size on S3, size and mtime in a folder.

    A download is a copy of the landing file only while the file's fingerprint is the one taken when it was
    fetched. Raises ``FileNotFoundError`` when the file is gone.
    """
    if is_s3(url):
        from botocore.exceptions import ClientError

        bucket, key = split_s3(url)
        try:
            head = s3_client(settings).s3.meta.client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(url) from None
            raise
        return f"etag={head['ETag']} size={head['ContentLength']}"
    stat = os.stat(url)
    return f"size={stat.st_size} mtime_ns={stat.st_mtime_ns}"


def fetch(settings: Settings, url: str, local_path: str, on_progress: Callable[[int], None] | None = None) -> None:
    """Copy the lake file ``url`` to ``local_path`` (a temporary path the caller renames).

    ``on_progress`` is called with the bytes copied so far, as the copy goes.
    """
    Path(local_path).parent.mkdir(parents=True, exist_ok=True)
    done = _Counter(on_progress)
    if is_s3(url):
        bucket, key = split_s3(url)
        s3_client(settings).s3.meta.client.download_file(bucket, key, local_path, Callback=done.add)
        pause_point("Download")  # the file is complete under its temporary name
        return
    with open(url, "rb") as source, open(local_path, "wb") as sink:
        while chunk := source.read(FILE_CHUNK):
            sink.write(chunk)
            done.add(len(chunk))
            pause_point("Download")  # part of the file written


GZIP_MAGIC = b"\x1f\x8b"


class BadGzip(ValueError):
    """Gzip content that cannot be decompressed (truncated, corrupt); the message names the landing file."""


class _Gunzip(gzip.GzipFile):
    """Gzip content whose read errors name the landing file it came from; closing it closes ``source`` too."""

    def __init__(self, source: IO[bytes], url: str) -> None:
        super().__init__(fileobj=source, mode="rb")
        self.source = source
        self.url = url

    def _bad(self, exc: Exception) -> BadGzip:
        return BadGzip(f"{self.url}: not a complete gzip file ({exc}); nothing was loaded")

    def read(self, size: int = -1) -> bytes:
        try:
            return super().read(size)
        except (EOFError, OSError, zlib.error) as exc:
            raise self._bad(exc) from None

    def readline(self, size: int = -1) -> bytes:
        try:
            return super().readline(size)
        except (EOFError, OSError, zlib.error) as exc:
            raise self._bad(exc) from None

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.source.close()


def open_csv(path: str, url: str) -> tuple[IO[bytes], int]:
    """The download of the landing file ``url`` to read, and its size in bytes (see :func:`_csv`)."""
    return _csv(open(path, "rb"), url)


def open_landing(settings: Settings, url: str) -> tuple[IO[bytes], int]:
    """The landing file ``url`` to read straight from the lake, with no local copy, and its size in bytes:
    a file of a folder is opened where it is, an S3 object is streamed (see :class:`_S3Object`)."""
    if is_s3(url):
        return _csv(io.BufferedReader(_S3Object(settings, url), FILE_CHUNK), url)
    return open_csv(url, url)


def _csv(source: IO[bytes], url: str) -> tuple[IO[bytes], int]:
    """``source`` (seekable) to read, and its size; gzip content is decompressed as it is read. The size of
    gzip content is the one its trailer records (modulo 4 GiB, as gzip keeps it)."""
    try:
        gzipped = source.read(2) == GZIP_MAGIC
        size = source.seek(-4 if gzipped else 0, os.SEEK_END)
        if gzipped:
            size = int.from_bytes(source.read(4), "little")
        source.seek(0)
    except BaseException:
        source.close()
        raise
    return (_Gunzip(source, url) if gzipped else source), size


class _S3Object(io.RawIOBase):
    """An S3 object read as a seekable file: one streaming GET from the current position, again after a seek
    (a load reads its file once; only a file that needs row-by-row validation is read a second time). Every
    GET asks for the ETag seen first, so an object replaced meanwhile fails the read instead of mixing two."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.client = s3_client(settings).s3.meta.client
        self.bucket, self.key = split_s3(url)
        head = self.client.head_object(Bucket=self.bucket, Key=self.key)
        self.length, self.etag = head["ContentLength"], head["ETag"]
        self.position = 0
        self.body = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = {os.SEEK_SET: 0, os.SEEK_CUR: self.position, os.SEEK_END: self.length}[whence] + offset
        if position != self.position:
            self._drop()
            self.position = position
        return position

    def readinto(self, buffer) -> int:
        if self.position >= self.length:
            return 0
        if self.body is None:
            self.body = self.client.get_object(
                Bucket=self.bucket, Key=self.key, IfMatch=self.etag, Range=f"bytes={self.position}-"
            )["Body"]
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _drop(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None

    def close(self) -> None:
        self._drop()
        super().close()


class _Counter:
    """Adds up transferred bytes (boto3 reports them from several threads) and passes the total on."""

    def __init__(self, on_progress: Callable[[int], None] | None) -> None:
        self.on_progress = on_progress
        self.total = 0
        self.lock = threading.Lock()

    def add(self, amount: int) -> None:
        with self.lock:
            self.total += amount
            if self.on_progress:
                self.on_progress(self.total)


@contextlib.contextmanager
def publish(settings: Settings, url: str, work_dir: Path) -> Iterator[IO[bytes]]:
    """A binary file to write that becomes ``url``, whole, when the block ends without error.

    On S3 it is written under ``work_dir`` and uploaded in one PUT. In a folder it is written beside its
    final name as ``<name>.part-<pid>`` and renamed into place; parts left by killed writers are removed.
    Two writers of the same file never disturb each other: the last complete one wins.
    """
    if is_s3(url):
        work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=work_dir, prefix=f"upload{part_tag()}-") as local:
            yield local
            local.flush()
            s3_client(settings).put(local.name, url)
        return
    final = Path(url)
    final.parent.mkdir(parents=True, exist_ok=True)
    for part in final.parent.glob(final.name + ".part-*"):
        if not _alive(part.name.rsplit("-", 1)[1]):
            part.unlink(missing_ok=True)
    part = final.with_name(f"{final.name}{part_tag()}")
    try:
        with open(part, "wb") as sink:
            yield sink
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)


def part_tag() -> str:
    """``.part-<pid>``: in the name of a temporary file (or folder) this process is writing."""
    return f".part-{os.getpid()}"


_PART = re.compile(r"\.part-(\d+)")


def in_use(path: Path) -> bool:
    """True for a temporary file (or one inside a temporary folder) that a live process is still writing."""
    return any((found := _PART.search(part)) and _alive(found.group(1)) for part in path.parts)


def _alive(pid: str) -> bool:
    """Whether process ``pid`` lives; a zombie (killed, not yet reaped) writes nothing more and counts as gone."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust the signal
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"
