"""The central scheduler: start and stop ``luigid`` on 127.0.0.1, its state, logs, pid file and history in one folder.

luigid reads ``./luigi.cfg`` plus ``config/luigid.cfg`` (task history on). The history database is
``D2B_SCHEDULER_HISTORY_DB`` (an SQLAlchemy URL) or else the warehouse, in schema ``{id}_scheduler``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2.extensions
from psycopg2 import sql

CONFIG = Path(__file__).resolve().parent.parent / "config" / "luigid.cfg"
ADDRESS = "127.0.0.1"
WAIT_S = 30


class SchedulerError(RuntimeError):
    pass


def pidfile(folder: Path) -> Path:
    return folder / "luigid.pid"


def running_pid(folder: Path) -> int | None:
    """The pid of the luigid recorded in ``folder``, if that process is alive and is luigid."""
    try:
        pid = int(pidfile(folder).read_text().strip())
        status = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    zombie = status.rsplit(")", 1)[1].split()[0] == "Z"
    return None if zombie or b"luigid" not in command else pid


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{ADDRESS}:{port}/api/task_list?data={{}}", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start(folder: Path, port: int) -> str:
    """Start luigid in the background (no-op when it already runs); return the web view's URL."""
    folder = folder.resolve()
    url = f"http://{ADDRESS}:{port}/"
    if running_pid(folder):
        return url
    if answers(port):
        raise SchedulerError(f"another scheduler already answers on {url}; choose another port")
    pidfile(folder).unlink(missing_ok=True)  # left by a luigid that did not stop cleanly
    (folder / "log").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(CONFIG)}
    if not os.environ.get("D2B_SCHEDULER_HISTORY_DB"):
        env.update(warehouse_history())
    command = [
        str(Path(sys.executable).parent / "luigid"),
        "--background",
        *("--address", ADDRESS, "--port", str(port)),
        *("--pidfile", str(pidfile(folder)), "--logdir", str(folder / "log")),
        *("--state-path", str(folder / "state.pickle")),
    ]
    subprocess.run(command, env=env, check=True)
    deadline = time.monotonic() + WAIT_S
    while not answers(port):
        if time.monotonic() > deadline:
            raise SchedulerError(f"luigid did not answer on {url} within {WAIT_S} s; see {folder / 'log'}")
        time.sleep(0.2)
    return url


def warehouse_history() -> dict[str, str]:
    """luigid's environment for a task history in the warehouse, in schema ``{id}_scheduler`` (created here).

    luigi's history tables have fixed names, so the schema is chosen by ``search_path``; the password, if any,
    goes to luigid as ``PGPASSWORD`` rather than into the URL.
    """
    from d2b_luigi.config import settings
    from d2b_luigi.warehouse import WarehouseUnreachable, connect

    config = settings()
    schema = f"{config.id}_scheduler"
    try:
        connection = connect(config.dsn)
    except WarehouseUnreachable as exc:
        raise SchedulerError(f"no database for the task history: {exc}") from None
    with connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    connection.close()
    params = psycopg2.extensions.parse_dsn(config.dsn)
    password = params.pop("password", None)
    params["options"] = f"{params.get('options', '')} -c search_path={schema}".strip()
    dsn = psycopg2.extensions.make_dsn(**params)
    env = {"D2B_SCHEDULER_HISTORY_DB": "postgresql+psycopg2:///?" + urllib.parse.urlencode({"dsn": dsn})}
    return env | ({"PGPASSWORD": password} if password else {})


def stop(folder: Path) -> bool:
    """Stop the folder's luigid (SIGTERM: it saves its state first); True when one was running."""
    folder = folder.resolve()
    pid = running_pid(folder)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WAIT_S
    while running_pid(folder):
        if time.monotonic() > deadline:
            raise SchedulerError(f"luigid (pid {pid}) did not stop within {WAIT_S} s")
        time.sleep(0.2)
    pidfile(folder).unlink(missing_ok=True)
    return True
