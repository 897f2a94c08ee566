"""Running the project's real commands (``luigi``, ``make``) in subprocesses, as cron or a person would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def luigi(*args: str, lock_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """``luigi --module d2b_luigi …`` from the project root, with the current environment (the test's D2B_*)."""
    command = [str(BIN / "luigi"), "--module", "d2b_luigi", *args, "--lock-pid-dir", str(lock_dir)]
    return subprocess.run(command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=timeout)


def make(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``make -C <project root> …``; fails the test when make fails."""
    result = subprocess.run(["make", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
