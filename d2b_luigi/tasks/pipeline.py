"""The entry point cron runs: everything for one date."""

from __future__ import annotations

import datetime as dt

import luigi
import luigi.task
import luigi.tools.range

from d2b_luigi.catalog import TABLES
from d2b_luigi.tasks.base import WarehouseTask
from d2b_luigi.tasks.cleanup import CleanUp
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.schema import MigrateSchema


class RunAll(luigi.task.MixinNaiveBulkComplete, WarehouseTask, luigi.WrapperTask):
    """The whole pipeline for ``--date``: done when the exports are written and the date is cleaned up."""

    date = luigi.DateParameter()

    def requires(self):
        self.own_id()
        # the schema first: a release older than the warehouse refuses even a finished date
        return [MigrateSchema(), *(Export(date=self.date, table=table) for table in TABLES), CleanUp(date=self.date)]


class RangeDaily(WarehouseTask, luigi.tools.range.RangeDaily):
    """Luigi's ``RangeDaily`` (``RangeDaily --of RunAll --start … --stop …``), as a task of one warehouse id:
    two ids backfilling the same dates on one luigid have a range task each, each with its own dates' tasks."""

    def requires(self):
        self.own_id()
        return super().requires()


def steps(date: dt.date) -> list[luigi.Task]:
    """Every task of ``RunAll(date)`` once, stage by stage: a task comes after everything it needs.

    A task's stage is the length of the longest chain of dependencies below it (``RunAll`` is last).
    """
    depth: dict[str, int] = {}
    tasks: dict[str, luigi.Task] = {}

    def visit(task: luigi.Task) -> int:
        if task.task_id not in depth:
            below = [visit(dependency) for dependency in luigi.task.flatten(task.requires())]
            depth[task.task_id] = 1 + max(below, default=-1)
            tasks[task.task_id] = task
        return depth[task.task_id]

    visit(RunAll(date=date))
    return sorted(tasks.values(), key=lambda task: (depth[task.task_id], str(task)))
