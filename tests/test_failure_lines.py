"""When a run fails the operator sees why at once: one line per failed or missing thing after luigi's summary,
one-line configuration errors, and an alert (webhook, luigi's e-mail) for every non-zero exit."""

from __future__ import annotations

import email
import os
import socket
import socketserver
import threading

import pytest

from d2b_luigi.outcome import REASON_LIMIT
from tests.commands import free_port, process_env, run_luigi
from tests.conftest import TINY_DATE
from tests.test_cron_and_notify import webhook  # noqa: F401  (the fixture)

DATE = str(TINY_DATE)
SUMMARY_END = "===== Luigi Execution Summary =====\n\n"


def after_summary(stderr: str) -> list[str]:
    """The lines printed after luigi's execution summary."""
    assert stderr.count("===== Luigi Execution Summary =====") == 2, stderr[-3000:]
    return stderr.rsplit(SUMMARY_END, 1)[1].splitlines()


def bad_reviews(pipeline) -> str:
    """Land the tiny example with one bad line in reviews.csv and no shipment_deliveries.csv."""
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    reviews.write_text(reviews.read_text() + "6,1")
    (pipeline.landing_dir(TINY_DATE) / "shipment_deliveries.csv").unlink()
    return str(reviews)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_failed_run_ends_with_one_line_per_failed_or_missing_thing(pipeline, tmp_path, workers):
    reviews = bad_reviews(pipeline)
    shipments = pipeline.landing_dir(TINY_DATE) / "shipment_deliveries.csv"

    env = process_env(pipeline)
    run = run_luigi("RunAll", "--date", DATE, "--workers", workers, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert run.returncode == 30, run.stderr[-3000:]
    more = f"(more: d2b status --date {DATE})"
    rejected = (
        f"{reviews}: 1 of 7 rows rejected, more than max_reject_ratio=0.0 allows; nothing of this file was loaded. "
        f"line 8: column 1 (review): '6' is not a review of 1 to 5 stars. "
        f"All rejects: {pipeline.id}_staging.rejected_rows WHERE ingestion_date = '{DATE}' AND source = 'reviews'"
    )
    assert sorted(after_summary(run.stderr)) == [
        f"FAILED   LoadStaging reviews {DATE}: {cut(rejected)} {more}",
        f"MISSING  LandingFile shipment_deliveries {DATE}: landing file missing: {shipments} {more}",
    ]


def cut(reason: str) -> str:
    """A reason as the lines show it: at most REASON_LIMIT characters, the last one "…" when it was longer."""
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


def test_a_successful_run_prints_nothing_after_the_summary(pipeline, tmp_path):
    pipeline.put_tiny()
    run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=process_env(pipeline), lock_dir=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert after_summary(run.stderr) == []


@pytest.mark.parametrize("source", ["environment", "flag"])
def test_a_configuration_error_is_one_line_without_traceback_and_exits_35(pipeline, tmp_path, source):
    pipeline.put_tiny()
    bad = "x; drop table y"
    if source == "environment":
        env, flags = process_env(pipeline, D2B_ID=bad), []
    else:
        env, flags = process_env(pipeline), ["--d2b-id", bad]

    run = run_luigi("RunAll", "--date", DATE, *flags, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert run.returncode == 35, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    problem = f"{bad!r} is not a plain identifier (lower-case letters, digits, underscores, at most 40)"
    said = [line for line in run.stderr.splitlines() if problem in line]
    named = "environment D2B_ID=" if source == "environment" else "flag --d2b-id="
    assert said == [
        f"WARNING: Will not run RunAll(warehouse_id={bad}, date={DATE}) or any dependencies: {named}{problem}",
        f"ERROR    RunAll {DATE}: {named}{problem} (more: d2b status --date {DATE})",
    ]


def test_missing_data_exit_20_alerts_the_webhook_naming_the_missing_file(pipeline, tmp_path, webhook):  # noqa: F811
    pipeline.put_tiny()
    missing = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    missing.unlink()

    env = process_env(pipeline, D2B_WEBHOOK_URL=os.environ["D2B_WEBHOOK_URL"])

    run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert run.returncode == 20, run.stderr[-3000:]
    assert [body for _, body in webhook.received] == [
        {
            "event": "missing_data",
            "exit_code": 20,
            "date": DATE,
            "error": f"LandingFile reviews: landing file missing: {missing}",
            "problems": [
                {
                    "kind": "missing",
                    "task": "LandingFile reviews",
                    "date": DATE,
                    "reason": f"landing file missing: {missing}",
                }
            ],
            "warehouse_id": pipeline.id,
            "host": os.uname().nodename,
        }
    ]


def test_an_unreachable_warehouse_exit_35_alerts_the_webhook_naming_it(pipeline, tmp_path, webhook):  # noqa: F811
    pipeline.put_tiny()
    port = free_port()
    env = process_env(
        pipeline,
        D2B_WAREHOUSE_DSN=f"postgresql://etl:pw-never-shown@127.0.0.1:{port}/dwh",
        D2B_WEBHOOK_URL=os.environ["D2B_WEBHOOK_URL"],
    )

    run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert run.returncode == 35, run.stderr[-3000:]
    (_, body), *more = webhook.received
    assert more == []
    assert body["event"] == "scheduling_error" and body["exit_code"] == 35
    down = (
        f"cannot connect to the warehouse postgresql://etl:***@127.0.0.1:{port}/dwh: "
        f'connection to server at "127.0.0.1", port {port} failed: Connection refused'
    )
    assert body["problems"] == [{"kind": "error", "task": "RunAll", "date": DATE, "reason": down}]
    assert body["error"] == f"RunAll: {down}"
    assert run.stderr.splitlines()[-1] == f"ERROR    RunAll {DATE}: {down} (more: d2b status --date {DATE})"
    assert "pw-never-shown" not in str(body) + run.stderr
    assert "Traceback" not in run.stderr


def test_an_unreachable_luigid_fails_fast_in_one_line_with_the_hint_exit_40_and_alerts(pipeline, tmp_path, webhook):  # noqa: F811
    """luigi.cfg's own RPC settings (no override): luigi's exit code for an error of its own, 40, and one line
    that says how to start luigid or do without it; no traceback, no retry chatter."""
    pipeline.put_tiny()
    port = free_port()
    env = process_env(
        pipeline,
        D2B_SCHEDULER_HOST="127.0.0.3",  # the clients take host and port from the one setting
        D2B_SCHEDULER_PORT=str(port),
        D2B_WEBHOOK_URL=os.environ["D2B_WEBHOOK_URL"],
    )

    # the timeout only guards against a hang (luigi's defaults waited about 62 s)
    run = run_luigi("RunAll", "--date", DATE, env=env, lock_dir=tmp_path, timeout=30)

    assert run.returncode == 40, run.stderr[-3000:]
    said = (
        f"cannot reach the central scheduler luigid at http://127.0.0.3:{port} (connection refused): "
        "start it with `make scheduler`, or add --local-scheduler to run without it"
    )
    assert run.stderr.splitlines() == [f"ERROR    luigid: {said}"]
    ((_, body),) = webhook.received
    assert (body["event"], body["exit_code"], body["error"]) == ("unhandled_exception", 40, f"luigid: {said}")


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive luigi's e-mails."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command == "DATA":
                self.reply("354 go on")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data.decode())
                self.server.mails.append("".join(body))
                self.reply("250 ok")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def test_missing_data_and_an_unreachable_warehouse_send_luigis_e_mail_where_configured(pipeline, tmp_path):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
    server.mails = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = tmp_path / "mail.cfg"
    cfg.write_text(
        "[email]\nreceiver = data-alerts@example.com\nforce_send = true\n"
        f"[smtp]\nhost = 127.0.0.1\nport = {server.server_address[1]}\n"
    )
    pipeline.put_tiny()
    missing = pipeline.landing_dir(TINY_DATE) / "orders.csv"
    missing.unlink()
    port = free_port()
    try:
        env = process_env(pipeline, LUIGI_CONFIG_PATH=str(cfg))
        no_file = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)
        env["D2B_WAREHOUSE_DSN"] = f"postgresql://etl@127.0.0.1:{port}/dwh"
        no_warehouse = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)
    finally:
        server.shutdown()
        server.server_close()

    assert (no_file.returncode, no_warehouse.returncode) == (20, 35), no_file.stderr[-2000:] + no_warehouse.stderr
    mail, *for_35 = [email.message_from_string(m) for m in server.mails]
    host = socket.gethostname()
    assert mail["Subject"] == f"Luigi: d2b_luigi {DATE} missing data (exit 20). Host: {host}"
    (text,) = [p.get_payload(decode=True).decode() for p in mail.walk() if p.get_content_type() == "text/plain"]
    more = f"(more: d2b status --date {DATE})"
    assert text == f"MISSING  LandingFile orders {DATE}: landing file missing: {missing} {more}"
    # exit 35: luigi mails the task whose completeness could not be checked, with the error
    subject = f"Luigi: RunAll(warehouse_id={pipeline.id}, date={DATE}) failed scheduling. Host: {host}"
    assert [m["Subject"] for m in for_35] == [subject]
    body = for_35[0].get_payload(0).get_payload(decode=True).decode()
    assert f"cannot connect to the warehouse postgresql://etl@127.0.0.1:{port}/dwh" in body


def test_a_scheduler_port_that_is_no_port_is_one_line_and_exit_35(pipeline, tmp_path):
    env = process_env(pipeline, D2B_SCHEDULER_PORT="80x2")

    run = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path, timeout=60)

    assert run.returncode == 35
    assert run.stderr.splitlines() == [
        "d2b_luigi: environment D2B_SCHEDULER_PORT='80x2' is not a port number (1-65535)"
    ]
