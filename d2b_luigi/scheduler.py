"""The central scheduler: start and stop ``luigid``, its state, logs, pid file and history in one private folder.

One setting places it for luigid and for the ``luigi`` command alike: ``D2B_SCHEDULER_HOST`` and
``D2B_SCHEDULER_PORT`` when set, else ``[core] scheduler_host`` / ``scheduler_port`` of luigi.cfg
(127.0.0.1:8082). luigid reads the project's ``luigi.cfg`` plus ``config/luigid.cfg`` (task history,
Prometheus metrics, the warehouse cap). The history database is ``D2B_SCHEDULER_HISTORY_DB`` (an SQLAlchemy
URL) or else the warehouse, in schema ``{id}_scheduler``.

luigid loads its state file (a pickle) when it starts, so whoever can write that file runs code as luigid's
user: the folder is 0700 and every file in it 0600, whatever the umask (luigid runs with umask 077).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import luigi.configuration
import psycopg2.extensions
from luigi.parameter import UnconsumedParameterWarning
from psycopg2 import sql

from d2b_luigi.config import PROJECT_DIR, ConfigError

CONFIG = PROJECT_DIR / "config" / "luigid.cfg"
WAIT_S = 30
HOST_VARIABLE, PORT_VARIABLE = "D2B_SCHEDULER_HOST", "D2B_SCHEDULER_PORT"

# luigid in the foreground (its --background mode sets umask 0) with luigid --background's own log file:
# luigi-server.log, rotated at midnight, 7 days kept
_SERVE = """# luigid of d2b_luigi
import logging.handlers, sys
import luigi.cmdline
log_file, *argv = sys.argv[1:]
handler = logging.handlers.TimedRotatingFileHandler(log_file, when="midnight", backupCount=7, encoding="utf8")
handler.setFormatter(logging.Formatter("%(asctime)s %(name)s[%(process)s] %(levelname)s: %(message)s"))
logging.basicConfig(level=logging.INFO, handlers=[handler])
luigi.cmdline.luigid(argv)
"""


class SchedulerError(RuntimeError):
    pass


def configure_clients() -> None:
    """``D2B_SCHEDULER_HOST`` / ``D2B_SCHEDULER_PORT``, when set, become luigi's ``[core] scheduler_host`` /
    ``scheduler_port`` (a ``--scheduler-host/--scheduler-port/--scheduler-url`` flag still wins).

    Called when the ``luigi`` command imports d2b_luigi: after luigi read its config files and before it
    reads ``[core]`` to build its scheduler client.
    """
    # luigi's [core] class does not declare the rpc_* keys of luigi.cfg that its scheduler client reads
    warnings.filterwarnings(
        "ignore", r"The configuration contains the parameter 'rpc_\w+' .* task 'core'", UnconsumedParameterWarning
    )
    config = luigi.configuration.get_config()
    host, port = os.environ.get(HOST_VARIABLE), os.environ.get(PORT_VARIABLE)
    if host:
        if any(c.isspace() or c in "/@?#" for c in host):
            raise ConfigError(f"environment {HOST_VARIABLE}={host!r} is not a host name or address")
        config.set("core", "scheduler_host", host)
    if port:
        if not (port.isdigit() and 0 < int(port) < 65536):
            raise ConfigError(f"environment {PORT_VARIABLE}={port!r} is not a port number (1-65535)")
        config.set("core", "scheduler_port", port)


def address() -> tuple[str, int]:
    """Where luigid listens and the clients find it (after ``configure_clients``)."""
    config = luigi.configuration.get_config()
    return config.get("core", "scheduler_host", "127.0.0.1"), config.getint("core", "scheduler_port", 8082)


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


def answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/task_list?data={{}}", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def make_private(folder: Path) -> None:
    """``folder`` and its ``log`` folder 0700, every file in them 0600, whatever the umask.

    Refuses anything in it owned by another user (a state file planted while the folder was open to others).
    """
    (folder / "log").mkdir(parents=True, exist_ok=True)
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        if info.st_uid != os.getuid():
            raise SchedulerError(f"{path} belongs to another user (uid {info.st_uid}); remove it, then start again")
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def _private_file(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def start(folder: Path) -> str:
    """Start luigid in the background (no-op when it already runs); return the web view's URL."""
    folder = folder.resolve()
    host, port = address()
    url = f"http://{host}:{port}/"
    if running_pid(folder):
        return url
    if answers(host, port):
        raise SchedulerError(f"another scheduler already answers on {url}; choose another {PORT_VARIABLE}")
    make_private(folder)
    pidfile(folder).unlink(missing_ok=True)  # left by a luigid that did not stop cleanly
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(CONFIG)}
    if not os.environ.get("D2B_SCHEDULER_HISTORY_DB"):
        env.update(warehouse_history())
    output = folder / "log" / "luigid.out"  # what luigid prints outside its log, e.g. why it did not start
    command = [
        *(sys.executable, "-c", _SERVE, str(folder / "log" / "luigi-server.log")),
        *("--address", host, "--port", str(port), "--state-path", str(folder / "state.pickle")),
    ]
    out = _private_file(output)
    try:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,  # ./luigi.cfg is the project's: the same [resources] and [retcode] as the clients
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # outlives this command and its terminal
            umask=0o077,
        )
    finally:
        os.close(out)
    with os.fdopen(os.open(pidfile(folder), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as pid:
        pid.write(str(process.pid))
    deadline = time.monotonic() + WAIT_S
    while not answers(host, port):
        if process.poll() is not None:
            pidfile(folder).unlink(missing_ok=True)
            said = (output.read_text(errors="replace").strip().splitlines() or [""])[-1]
            raise SchedulerError(f"luigid exited at start (code {process.returncode}): {said} (see {output})")
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
