"""The run log: every task run appends a row to ``{id}_analytics.run_log`` (duration, outcome, row counts).

Luigi's events drive it, so it works the same in-process and in ``--workers N`` child processes. Each row
is one INSERT on the process's shared autocommit connection, outside the steps' transactions. A run log
that cannot be written is logged and never fails the pipeline (luigi swallows handler errors anyway).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import luigi
import psycopg2.errors

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import PipelineTask

log = logging.getLogger("d2b_luigi")

ERROR_CHARS = 2000
COUNTS = ("rows_loaded", "rows_rejected", "rows_exported")


@PipelineTask.event_handler(luigi.Event.START)
def _started(task: PipelineTask) -> None:
    task._run_started = (dt.datetime.now(dt.timezone.utc), time.monotonic())


@PipelineTask.event_handler(luigi.Event.SUCCESS)
def _succeeded(task: PipelineTask) -> None:
    record(task, "done")


@PipelineTask.event_handler(luigi.Event.FAILURE)
def _failed(task: PipelineTask, exception: BaseException) -> None:
    record(task, "failed", error=f"{type(exception).__name__}: {exception}"[:ERROR_CHARS])


def run_date(task: luigi.Task) -> dt.date | None:
    """The task's run date, or None for a step that is not per date."""
    return task.param_kwargs.get("date")


def record(task: PipelineTask, status: str, error: str | None = None) -> None:
    """Append the run that just ended; only for runs this process started (external tasks never start)."""
    started = getattr(task, "_run_started", None)
    if started is None:
        return
    started_at, t0 = started
    row = {
        "step_id": task.step_id,
        "task_family": task.get_task_family(),
        "ingestion_date": run_date(task),
        "status": status,
        "started_at": started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc),
        "duration_s": time.monotonic() - t0,
        "error": error,
        **dict.fromkeys(COUNTS),
    }
    try:
        try:
            _insert(task, status, row)
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
            # a new warehouse whose first step (a download) ran before its schema was made
            warehouse.ensure_schema(task.settings)
            _insert(task, status, row)
    except Exception as exc:  # the run log is for people; it must never fail a step
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("could not write the run log for %s: %s", task.step_id, reason)


def _insert(task: PipelineTask, status: str, row: dict) -> None:
    """One INSERT on the shared autocommit connection; it never migrates, so a failed migration is logged too."""
    settings = task.settings
    with warehouse.shared_connection(settings.dsn).cursor() as cursor:
        if status == "done":
            row.update(task.row_counts(cursor))
        cursor.execute(warehouse.statement(settings, "runlog/record"), row)
