"""Cron: the example crontab line runs RunAll for today, logs to var/log, exits non-zero on failure.
Failures: a webhook receives the task, the date and the error; its URL (which may hold a token) is never logged."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import luigi
import pytest

from d2b_luigi import RunAll
from tests.commands import free_port, make
from tests.conftest import ROOT, TINY_DATE
from tests.faults import fail_transform


def crontab() -> tuple[dict[str, str], dict[str, str]]:
    """The variables and the jobs (schedule: command) of config/crontab, with cron's ``\\%`` unescaped."""
    variables, jobs = {}, {}
    for line in (ROOT / "config" / "crontab").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if sep and " " not in name:
            variables[name] = value
        else:
            fields = 1 if line.startswith("@") else 5
            *schedule, command = line.split(None, fields)
            jobs[" ".join(schedule)] = command.replace("\\%", "%")
    return variables, jobs


class Cron:
    """Runs the crontab's jobs as cron would: its variables, a bare PATH, from a D2B_HOME like the project."""

    def __init__(self, pipeline, tmp_path) -> None:
        self.home = tmp_path / "home"
        self.home.mkdir()
        for name in (".venv", "config", "luigi.cfg", "Makefile", "pyproject.toml", "constraints.txt"):
            (self.home / name).symlink_to(ROOT / name)
        self.port = free_port()
        local_cfg = tmp_path / "test-luigi.cfg"
        local_cfg.write_text(f"[core]\nlock_pid_dir = {tmp_path / 'locks'}\n")
        self.variables, self.jobs = crontab()
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            **{k: v for k, v in self.variables.items() if not k.startswith("D2B_")},
            **pipeline.env,
            "D2B_HOME": str(self.home),
            "LUIGI_CONFIG_PATH": str(local_cfg),
            "D2B_SCHEDULER_PORT": str(self.port),  # luigid of `make scheduler` and the luigi command alike
            "SCHEDULER_DIR": str(tmp_path / "scheduler"),
        }

    def run(self, schedule: str) -> subprocess.CompletedProcess:
        command = [self.variables["SHELL"], "-c", self.jobs[schedule]]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=180)

    @property
    def log(self) -> str:
        return (self.home / "var" / "log" / "d2b.log").read_text()


def test_the_crontab_starts_luigid_then_runs_today_logs_to_var_log_and_fails_loudly(pipeline, tmp_path):
    cron = Cron(pipeline, tmp_path)
    pipeline.put_tiny(TINY_DATE)  # the dimension CSVs; nothing has landed for today yet
    assert set(cron.jobs) == {"@reboot", "30 6 * * *"}
    booted = cron.run("@reboot")
    try:
        assert booted.returncode == 0, booted.stdout + booted.stderr
        assert f"luigid runs at http://127.0.0.1:{cron.port}/" in booted.stdout

        failed = cron.run("30 6 * * *")

        assert failed.returncode == 20, "no landing files for today: missing data"
        today = dt.date.today()
        assert f"LandingFile(warehouse_id={pipeline.id}, date={today}, name=orders)" in cron.log
        assert "Luigi Execution Summary" in cron.log

        pipeline.put_tiny(today)
        done = cron.run("30 6 * * *")

        assert done.returncode == 0, cron.log
        assert f"RunAll(warehouse_id={pipeline.id}, date={today})" in cron.log
        assert pipeline.analytics(today)["agg_shipments"] is not None
    finally:
        make("scheduler-stop", f"SCHEDULER_DIR={cron.env['SCHEDULER_DIR']}")


class Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.server.answer)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook(monkeypatch):
    """A local HTTP server standing in for the chat tool; yields it (``received``, ``answer``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received, server.answer = [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("D2B_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hooks/s3cr3t-t0ken")
    yield server
    server.shutdown()
    server.server_close()


def test_a_failed_task_posts_its_task_date_and_error_to_the_webhook(pipeline, webhook, monkeypatch):
    pipeline.put_tiny()
    fail_transform(monkeypatch, "agg_shipments")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    assert len(webhook.received) == 1
    content_type, payload = webhook.received[0]
    assert content_type == "application/json"
    assert payload == {
        "event": "failure",
        "task": "Transform(date=2025-07-01, table=agg_shipments)",
        "family": "Transform",
        "date": "2025-07-01",
        "error": "RuntimeError: injected failure",
        "warehouse_id": pipeline.id,
        "host": os.uname().nodename,
    }


def test_no_webhook_for_a_successful_run(pipeline, webhook):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert webhook.received == []


def test_a_webhook_that_fails_is_logged_without_its_url(pipeline, webhook, monkeypatch, caplog):
    webhook.answer = 500
    pipeline.put_tiny()
    fail_transform(monkeypatch, "agg_shipments")

    with caplog.at_level(logging.WARNING, logger="d2b_luigi"):
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    assert "failure webhook at 127.0.0.1 answered HTTP 500" in caplog.text
    assert "s3cr3t" not in caplog.text
