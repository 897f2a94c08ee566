"""The embedded warehouse: a real PostgreSQL from the ``pgserver`` package, its data under the work dir."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path


@functools.cache
def embedded_dsn(data_dir: Path) -> str:
    """Start (or reuse) the PostgreSQL server whose data lives in ``data_dir``; return its libpq URI."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver

        data_dir = data_dir.resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(data_dir, cleanup_mode=None).get_uri()


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; True when one was stopped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl

    data_dir = data_dir.resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    pg_ctl(["-m", "fast", "-w", "stop"], pgdata=data_dir, user=data_dir.owner())
    embedded_dsn.cache_clear()
    return True
