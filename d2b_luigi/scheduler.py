"""The central scheduler: start and stop ``luigid`` on 127.0.0.1, its state, logs, pid file and history in one folder.

luigid reads ``./luigi.cfg`` plus ``config/luigid.cfg`` (task history on). The history database is
``D2B_SCHEDULER_HISTORY_DB`` (an SQLAlchemy URL, e.g. PostgreSQL) or else SQLite in the folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    env = {
        **os.environ,
        "LUIGI_CONFIG_PATH": str(CONFIG),
        "D2B_SCHEDULER_HISTORY_DB": os.environ.get("D2B_SCHEDULER_HISTORY_DB") or f"sqlite:///{folder}/history.db",
    }
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
