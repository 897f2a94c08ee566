"""The run log: every task run has a row in ``{id}_analytics.run_log`` (duration, outcome, row counts).

Luigi's events drive it, so it works the same in-process and in ``--workers N`` child processes. A step's
row is inserted as ``running`` when it starts (with the process's warehouse session, so a killed run reads
as interrupted) and updated when it ends, each on the process's shared autocommit connection, outside the
steps' transactions. A run log that cannot be written is logged and never fails the pipeline.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

import luigi
import psycopg2.errors

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import WAREHOUSE_ID, PipelineTask

log = logging.getLogger("d2b_luigi")

ERROR_CHARS = 2000
COUNTS = ("rows_loaded", "rows_rejected", "rows_exported")


@PipelineTask.event_handler(luigi.Event.START)
def _started(task: PipelineTask) -> None:
    if isinstance(task, luigi.ExternalTask):
        return  # nothing of ours runs: luigi only looks again for the file
    task._run_started = (dt.datetime.now(dt.timezone.utc), time.monotonic())
    task._run_id = None
    row = {
        "step_id": task.step_id,
        "task_family": task.get_task_family(),
        "ingestion_date": run_date(task),
        "started_at": task._run_started[0],
    }

    def start(cursor) -> None:
        cursor.execute(warehouse.statement(task.settings, "runlog/start"), row)
        task._run_id = cursor.fetchone()[0]

    _write(task, start)


@PipelineTask.event_handler(luigi.Event.SUCCESS)
def _succeeded(task: PipelineTask) -> None:
    record(task, "done")


@PipelineTask.event_handler(luigi.Event.FAILURE)
def _failed(task: PipelineTask, exception: BaseException) -> None:
    record(task, "failed", error=f"{type(exception).__name__}: {exception}"[:ERROR_CHARS])


def run_date(task: luigi.Task) -> dt.date | None:
    """The task's run date, or None for a step that is not per date."""
    return task.param_kwargs.get("date")


def label(task: luigi.Task) -> str:
    """``LoadStaging orders``: the family and its parameters other than the date and the warehouse id."""
    others = [str(v) for k, v in task.param_kwargs.items() if k not in ("date", WAREHOUSE_ID)]
    return " ".join([task.get_task_family(), *others])


def record(task: PipelineTask, status: str, error: str | None = None) -> None:
    """Complete the row of the run that just ended (or append it whole when its start was not recorded);
    only for runs this process started."""
    started = getattr(task, "_run_started", None)
    if started is None:
        return
    row = {
        "run_id": task._run_id,
        "step_id": task.step_id,
        "task_family": task.get_task_family(),
        "ingestion_date": run_date(task),
        "status": status,
        "started_at": started[0],
        "finished_at": dt.datetime.now(dt.timezone.utc),
        "duration_s": time.monotonic() - started[1],
        "error": error,
        **dict.fromkeys(COUNTS),
    }

    def finish(cursor) -> None:
        if status == "done":
            row.update(task.row_counts(cursor))
        cursor.execute(warehouse.statement(task.settings, "runlog/finish" if row["run_id"] else "runlog/record"), row)

    _write(task, finish)


def _write(task: PipelineTask, work: Callable) -> None:
    """``work(cursor)`` on the shared autocommit connection; any error is logged as a warning, never raised.

    It migrates only when the run log's table is missing (a new warehouse whose first step, a download, ran
    before its schema was made), so a failed migration is logged too.
    """
    settings = task.settings
    try:
        try:
            with warehouse.shared_connection(settings.dsn).cursor() as cursor:
                work(cursor)
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
            warehouse.ensure_schema(settings)
            with warehouse.shared_connection(settings.dsn).cursor() as cursor:
                work(cursor)
    except psycopg2.errors.UndefinedColumn:
        log.debug("the run log of %s is not migrated yet: the step's row is written when it ends", task.step_id)
    except Exception as exc:  # the run log is for people; it must never fail a step
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("could not write the run log for %s: %s", task.step_id, reason)
