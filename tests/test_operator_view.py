"""What the operator sees after a failure: `d2b status` and `d2b report` of an interrupted or failed date,
the warning for rows rejected under the ratio, and a CLI that answers in one line and survives a closed pipe."""

from __future__ import annotations

import json
import logging
import re
import subprocess

import luigi
import pytest

from d2b_luigi import RunAll, cli
from tests.commands import BIN, LuigiProcess, process_env, run_luigi, wait_until
from tests.conftest import TINY_DATE

DATE = str(TINY_DATE)
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def status_of(capsys) -> str:
    with pytest.raises(SystemExit):
        cli.main(["status", "--date", DATE])
    return capsys.readouterr().out


def test_a_step_killed_with_kill_9_shows_as_interrupted_until_the_next_run_replaces_it(pipeline, tmp_path, capsys):
    pipeline.put_tiny()
    env = process_env(pipeline)
    run = LuigiProcess(
        "--local-scheduler", "RunAll", "--date", DATE, env={**env, "D2B_PAUSE_AT": "QualityCheck"}, lock_dir=tmp_path
    )
    run.wait_for("d2b_luigi: paused at QualityCheck")
    run.kill()

    def interrupted() -> bool:
        return "interrupted" in status_of(capsys)

    wait_until(interrupted, timeout=20, what="the killed process's warehouse session to end")
    out = status_of(capsys)
    assert re.search(
        rf"^QualityCheck +interrupted\n +interrupted: started {STAMP} and never ended "
        r"\(its process was killed or stopped\)$",
        out,
        re.M,
    ), out
    page = tmp_path / "report.html"
    cli.main(["report", "--date", DATE, "--output", str(page)])
    html = page.read_text()
    assert re.search(
        rf"<h3>QualityCheck <span class=\"badge bad\">interrupted</span></h3><p>interrupted: started {STAMP} and "
        r"never ended \(its process was killed or stopped\)</p>",
        html,
    ), html

    again = run_luigi("RunAll", "--date", DATE, "--local-scheduler", env=env, lock_dir=tmp_path)

    assert again.returncode == 0, again.stderr[-3000:]
    cli.main(["status", "--date", DATE])
    out = capsys.readouterr().out
    assert "interrupted" not in out
    assert re.search(r"^QualityCheck +done +\d{4}", out, re.M), out
    assert pipeline.query(
        "SELECT status FROM {a}.run_log WHERE step_id = %s ORDER BY run_id", (f"QualityCheck:{DATE}",)
    ) == [
        ("running",),
        ("done",),
    ]


def test_a_running_step_is_not_called_interrupted(pipeline, tmp_path, capsys):
    pipeline.put_tiny()
    release = tmp_path / "release"
    env = {**process_env(pipeline), "D2B_PAUSE_AT": "Transform", "D2B_PAUSE_RELEASE": str(release)}
    run = LuigiProcess("--local-scheduler", "RunAll", "--date", DATE, env=env, lock_dir=tmp_path)
    try:
        run.wait_for("d2b_luigi: paused at Transform")
        out = status_of(capsys)
        assert re.search(rf"^Transform \w+ +running\n +running since {STAMP}$", out, re.M), out
        assert "interrupted" not in out
    finally:
        release.touch()
        assert run.finish() == 0, run.stderr[-3000:]


def test_rows_rejected_under_the_ratio_give_a_warning_with_the_count_and_where_they_are(pipeline, monkeypatch, caplog):
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    reviews.write_text(reviews.read_text() + "6,1")
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.2")

    with caplog.at_level(logging.WARNING, logger="d2b_luigi"):
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert (
        f"{reviews}: 1 of 7 rows rejected (within max_reject_ratio=0.2), the other rows are loaded; the rejects are "
        f"in {pipeline.id}_staging.rejected_rows WHERE ingestion_date = '{DATE}' AND source = 'reviews' "
        f"(first: line 8: column 1 (review): '6' is not a review of 1 to 5 stars)"
    ) in caplog.messages


def test_the_report_of_a_failed_date_shows_errors_rejected_lines_checks_and_unpublished_analytics(pipeline, tmp_path):
    pipeline.put_tiny()
    reviews = pipeline.landing_dir(TINY_DATE) / "reviews.csv"
    reviews.write_text(reviews.read_text() + "6,1\n0,2\n")
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED
    pipeline.query(  # a failed error check with its sample, as QualityCheck stores it
        "INSERT INTO {a}.quality_results (ingestion_date, check_name, severity, description, passed, failing_rows,"
        " sample) VALUES (%s, 'no_nulls', 'error', 'no NULLs', false, 1, %s)",
        (TINY_DATE, json.dumps([{"order_id": 7, "total_price": None}])),
    )
    page = tmp_path / "report.html"

    cli.main(["report", "--date", DATE, "--output", str(page)])

    html = page.read_text()
    wrong = html[html.index("<h2>What went wrong</h2>") : html.index("<h2>Analytics</h2>")]
    assert re.search(r"<h3>LoadStaging reviews <span class=\"badge bad\">failed</span> at [^<]+</h3>", wrong)
    assert f'<pre class="error">TooManyRejects: {reviews}: 2 of 8 rows rejected, more than max_reject_ratio' in wrong
    assert f"<h3>2 rejected line(s) of {reviews} (all below; all in {pipeline.id}_staging.rejected_rows)</h3>" in wrong
    assert (
        '<tr><td class="num">8</td><td>column 1 (review): &#x27;6&#x27; is not a review of 1 to 5 stars</td>'
        "<td><code>6,1</code></td></tr>"
        '<tr><td class="num">9</td><td>column 1 (review): &#x27;0&#x27; is not a review of 1 to 5 stars</td>'
        "<td><code>0,2</code></td></tr>"
    ) in wrong
    assert (
        "<h3>1 data-quality check(s) with severity error failed</h3><table><thead><tr><th>check</th>"
        "<th>failing rows</th><th>sample of failing rows</th></tr></thead><tbody><tr><td>no_nulls</td>"
        '<td class="num">1</td><td><code>[{&quot;order_id&quot;: 7, &quot;total_price&quot;: null}]</code></td>'
    ) in wrong
    assert (
        f'{pipeline.id}_analytics.best_performing_product</h3><p><span class="badge warn">not published</span> no '
        "row for this date: consumers see none</p>"
    ) in html
    assert (
        f'{pipeline.id}_analytics.agg_shipments</h3><p><span class="badge warn">not audited</span> the quality '
        "checks have not passed for this row</p>"
    ) in html


def test_status_with_a_bad_warehouse_id_is_one_line_and_exits_35(pipeline):
    env = process_env(pipeline, D2B_ID="x; drop table y")
    done = subprocess.run([str(BIN / "d2b"), "status", "--date", DATE], env=env, capture_output=True, text=True)
    assert done.returncode == 35
    assert done.stdout == ""
    assert done.stderr == (
        "d2b status: environment D2B_ID='x; drop table y' is not a plain identifier "
        "(lower-case letters, digits, underscores, at most 40)\n"
    )


@pytest.mark.parametrize("command", [["status", "--date", DATE], ["show", "--date", DATE], ["sample", "--as-of", DATE]])
def test_every_command_survives_a_closed_pipe(pipeline, command):
    pipeline.put_tiny()
    reader_gone = subprocess.Popen(
        [str(BIN / "d2b"), *command], env=process_env(pipeline), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    reader_gone.stdout.close()  # like `| head` that has read enough
    stderr = reader_gone.stderr.read().decode()
    assert reader_gone.wait(60) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_d2b_psql_opens_psql_with_the_pipelines_schemas_on_the_search_path(pipeline):
    env = process_env(pipeline)
    done = subprocess.run(
        [str(BIN / "d2b"), "psql", "-At", "-c", "show search_path"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{pipeline.id}_analytics,{pipeline.id}_staging,{pipeline.common},public\n"


def test_d2b_psql_keeps_the_password_off_the_command_line(pipeline, monkeypatch):
    import psycopg2.extensions

    monkeypatch.setenv("D2B_WAREHOUSE_DSN", psycopg2.extensions.make_dsn(pipeline.dsn, password="pw-not-in-ps"))
    started = []
    monkeypatch.setattr("os.execve", lambda binary, argv, env: started.append((argv, env)))

    cli.main(["psql", "-c", "select 1"])

    ((argv, env),) = started
    assert argv[0] == "psql" and argv[2:] == ["-c", "select 1"]
    assert "pw-not-in-ps" not in " ".join(argv)
    assert env["PGPASSWORD"] == "pw-not-in-ps"


def test_d2b_psql_without_psql_says_so_in_one_line(pipeline, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SystemExit) as stop:
        cli.main(["psql"])
    assert (
        stop.value.code == "d2b psql: psql is not installed or not on PATH (Debian: apt-get install postgresql-client)"
    )
