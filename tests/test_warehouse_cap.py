"""The warehouse cap (luigi's ``[resources] warehouse``): luigid lets at most that many database steps run at
once across all hosts; a deployment whose luigi.cfg lacks the line is not capped (nor run one at a time).

Each run holds every ``LoadStaging`` inside its transaction (``D2B_PAUSE_AT``) until the test releases it,
so what runs at the same time is seen, not assumed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import subprocess
import time

from d2b_luigi.scheduler import answers
from tests.commands import BIN, LuigiProcess, free_port, process_env, wait_until
from tests.conftest import ROOT, TINY_DATE
from tests.test_concurrency import EXPECTED, waiting_on_a_step_lock

DATES = (TINY_DATE, TINY_DATE + dt.timedelta(days=1))
PAUSED = "d2b_luigi: paused at LoadStaging"
# the families that claim the resource: every database step, the schema and the dimensions
CLAIMING = ("MigrateSchema", "Dimensions", "LoadStaging", "Transform", "QualityCheck", "Publish", "Export", "CleanUp")


def database_steps(pipeline) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Every run of a claiming step from the run log: (step, started, finished)."""
    return pipeline.query(
        "SELECT step_id, started_at, finished_at FROM {a}.run_log WHERE task_family = ANY(%s) ORDER BY started_at",
        (list(CLAIMING),),
    )


def overlapping(runs: list[tuple[str, dt.datetime, dt.datetime]]) -> list[tuple[str, str]]:
    return [(a[0], b[0]) for a, b in itertools.combinations(runs, 2) if a[1] < b[2] and b[1] < a[2]]


def test_with_the_cap_at_1_on_luigid_no_two_database_steps_of_two_hosts_overlap(pipeline, tmp_path):
    config = tmp_path / "luigid.cfg"
    config.write_text("[resources]\nwarehouse = 1\n")
    port = free_port()
    luigid = subprocess.Popen(
        [str(BIN / "luigid"), "--address", "127.0.0.1", "--port", str(port), "--state-path", str(tmp_path / "state")],
        cwd=tmp_path,
        env={**os.environ, "LUIGI_CONFIG_PATH": str(config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    release = tmp_path / "release"
    hosts = []
    try:
        for date in DATES:
            pipeline.put_tiny(date)
        wait_until(lambda: answers("127.0.0.1", port), what="luigid")
        for n, date in enumerate(DATES):  # two hosts: own work dir and lock dir, three worker processes each
            env = process_env(
                pipeline,
                D2B_WORK_DIR=str(tmp_path / f"host{n}"),
                D2B_SCHEDULER_PORT=str(port),
                D2B_PAUSE_AT="LoadStaging",
                D2B_PAUSE_RELEASE=str(release),
                # every worker host's settings (keep-alive: a host whose every pending step waits for the
                # resource another host holds stays; a step the other host ran is not a failure)
                LUIGI_CONFIG_PATH=str(ROOT / "config" / "hosts.cfg"),
            )
            args = ("RunAll", "--date", str(date), "--workers", "3")
            hosts.append(LuigiProcess(*args, env=env, lock_dir=tmp_path / f"l{n}"))
        wait_until(lambda: any(PAUSED in h.stderr for h in hosts), timeout=60, what="a paused load")
        time.sleep(2)  # room for five more loads to start, were they allowed to
        paused = sum(h.stderr.count(PAUSED) for h in hosts)
        release.touch()
        codes = [h.finish() for h in hosts]
    finally:
        for host in hosts:
            if host.process.poll() is None:
                host.kill()
        luigid.terminate()
        luigid.wait(30)

    assert codes == [0, 0], "".join(h.stderr[-2000:] for h in hosts)
    assert all(None not in pipeline.analytics(date).values() for date in DATES)
    assert paused == 1, "one database step at a time"
    runs = database_steps(pipeline)
    assert len([r for r in runs if r[0].startswith("LoadStaging")]) == 6
    assert overlapping(runs) == []


def test_without_the_line_database_steps_run_at_once(pipeline, tmp_path, dsn):
    """A luigi.cfg of an earlier release (no [resources]): luigi's 1 unit for an unknown resource must not
    apply, so the loads of a date, with three workers, run at the same time. The shipments load, after its
    COPY, waits for the running orders load to commit (``LoadStaging._orders``), then checks against it."""
    config = tmp_path / "luigi.cfg"
    config.write_text(re.sub(r"\n\[resources\]\n(?:[^\[].*\n|\n)*", "\n", (ROOT / "luigi.cfg").read_text()))
    assert "[resources]" not in config.read_text() and "[retcode]" in config.read_text()
    pipeline.put_tiny()
    release = tmp_path / "release"
    env = process_env(
        pipeline, LUIGI_CONFIG_PATH=str(config), D2B_PAUSE_AT="LoadStaging", D2B_PAUSE_RELEASE=str(release)
    )
    run = LuigiProcess(
        "RunAll",
        "--date",
        str(TINY_DATE),
        "--workers",
        "3",
        "--local-scheduler",
        env=env,
        lock_dir=tmp_path,
        cwd=tmp_path,
    )
    try:
        wait_until(lambda: run.stderr.count(PAUSED) == 2, timeout=60, what="two loads paused at once")
        wait_until(lambda: waiting_on_a_step_lock(dsn), what="the shipments load waiting for the orders load")
    finally:
        release.touch()
        code = run.finish()

    assert code == 0, run.stderr[-3000:]
    loads = [r for r in database_steps(pipeline) if r[0].startswith("LoadStaging")]
    pairs = {tuple(sorted(step.rsplit(":", 1)[1] for step in pair)) for pair in overlapping(loads)}
    assert pairs == {("orders", "reviews"), ("orders", "shipment_deliveries"), ("reviews", "shipment_deliveries")}
    assert pipeline.analytics(TINY_DATE) == EXPECTED
