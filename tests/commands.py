"""Running the project's real commands (``luigi``, ``make``) in subprocesses, as cron or a person would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def run_luigi(
    *args: str, lock_dir: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """``luigi --module d2b_luigi …`` from the project root, as cron runs it; ``env`` defaults to the current
    environment (the test's D2B_*)."""
    command = [str(BIN / "luigi"), "--module", "d2b_luigi", *args, "--lock-pid-dir", str(lock_dir)]
    return subprocess.run(
        command, cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=timeout
    )


def make(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``make -C <project root> …``; fails the test when make fails."""
    result = subprocess.run(["make", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LuigiProcess:
    """A ``luigi`` command running in the background, its stderr collected by a thread."""

    def __init__(self, *args: str, env: dict[str, str], lock_dir: Path, cwd: Path = ROOT) -> None:
        command = [str(BIN / "luigi"), "--module", "d2b_luigi", *args, "--lock-pid-dir", str(lock_dir)]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            assert self.process.poll() is None, f"exited {self.process.returncode} before {text!r}:\n{self.stderr}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout}s:\n{self.stderr}"
            time.sleep(0.02)

    def kill(self) -> None:
        """``kill -9`` of the whole command: the luigi process and the processes its workers run tasks in."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.finish()
        wait_until(lambda: not group_alive(self.process.pid), timeout=10, what="the killed worker processes to end")

    def finish(self, timeout: float = 120) -> int:
        self.process.wait(timeout)
        self.reader.join(10)
        return self.process.returncode


def process_env(pipeline, **extra: str) -> dict[str, str]:
    """The environment of a ``luigi`` subprocess working on ``pipeline``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("D2B_", "AWS_"))}
    env.update(pipeline.env, **extra)
    return env


def group_alive(group: int) -> bool:
    """Whether process group ``group`` still has a process that is not a zombie."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def wait_until(condition, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
