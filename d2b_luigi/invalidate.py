"""Forced reruns: remove the targets of a finished step for one date, and of every step that needs it.

Luigi has no "force": a task whose target exists is done. Removing the targets (marker rows, local
files, S3 objects) is the documented way to make the next run redo a step. Only per-date steps can be
invalidated; the landing files (the lake's input), the tables and the dimensions never are.
"""

from __future__ import annotations

import datetime as dt

import luigi
import luigi.task

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import WAREHOUSE_ID, shown
from d2b_luigi.tasks.pipeline import steps

REMOVABLE = ("Download", "LoadStaging", "Transform", "QualityCheck", "Publish", "Export", "CleanUp")


class InvalidateError(ValueError):
    """The request names no step that can be invalidated."""


def plan(family: str, date: dt.date, downstream: bool = False, only: dict[str, str] | None = None) -> list[luigi.Task]:
    """The steps of ``date`` whose targets to remove, those that depend on others first.

    ``only`` narrows the chosen family by parameter values (``{"table": "agg_shipments"}``).
    """
    if family not in REMOVABLE:
        raise InvalidateError(f"cannot invalidate {family!r}; choose one of {', '.join(REMOVABLE)}")
    graph = steps(date)
    only = only or {}
    params = {name for task in graph if task.get_task_family() == family for name in task.param_kwargs}
    unknown = sorted(set(only) - params)
    if unknown:
        raise InvalidateError(f"{family} has no parameter {', '.join(unknown)}")
    chosen = {
        task.task_id
        for task in graph
        if task.get_task_family() == family and all(str(task.param_kwargs[k]) == v for k, v in only.items())
    }
    if not chosen:
        raise InvalidateError(f"no {family} step of {date} matches {only}")
    affected: list[luigi.Task] = []
    ids: set[str] = set()
    for task in graph:  # dependencies come first, so one pass finds everything downstream
        needs_affected = any(dep.task_id in ids for dep in luigi.task.flatten(task.requires()))
        if task.task_id in chosen or (downstream and needs_affected):
            affected.append(task)
            ids.add(task.task_id)
    return [task for task in reversed(affected) if luigi.task.flatten(task.output())]


def redone(date: dt.date, invalidated: list[luigi.Task]) -> list[luigi.Task]:
    """The steps the next ``RunAll(date)`` runs once the targets of ``invalidated`` are gone (whether they are
    yet or not: a dry run), stage by stage: luigi's own walk, from RunAll down to what is complete. After a
    clean-up it reaches the date's downloads and loads again, although invalidating removed none of them."""
    gone = {task.task_id for task in invalidated}
    runs: dict[str, bool] = {}

    def will_run(task: luigi.Task) -> bool:
        if task.task_id not in runs:
            if task.task_id in gone:
                runs[task.task_id] = True
            elif isinstance(task, luigi.WrapperTask):  # done when all it requires is
                runs[task.task_id] = any(will_run(dep) for dep in luigi.task.flatten(task.requires()))
            else:
                runs[task.task_id] = not task.complete()
        return runs[task.task_id]

    reached: set[str] = set()

    def visit(task: luigi.Task) -> None:
        if task.task_id not in reached and will_run(task):
            reached.add(task.task_id)
            for dep in luigi.task.flatten(task.requires()):
                visit(dep)

    graph = steps(date)  # stage by stage
    visit(graph[-1])  # RunAll
    return [t for t in graph if t.task_id in reached and t.run is not None and not isinstance(t, luigi.WrapperTask)]


def describe(target: luigi.Target) -> str:
    """A target as a person reads it: ``marker <update_id>`` or ``file <path or URL>``."""
    if isinstance(target, warehouse.MarkerTarget):
        return f"marker {target.update_id}"
    return f"file {target.path}"


def remove(target: luigi.Target) -> None:
    """Delete one target: a marker row (own transaction), a local file or an S3 object."""
    if isinstance(target, warehouse.MarkerTarget):
        with warehouse.transaction(target.settings) as cursor:
            warehouse.remove_markers(cursor, target.settings, [target.update_id])
    elif isinstance(target, luigi.target.FileSystemTarget):
        target.fs.remove(target.path)
    else:
        raise InvalidateError(f"cannot remove {target!r}")


def invalidate(tasks: list[luigi.Task], dry_run: bool = False) -> list[str]:
    """Remove the existing targets of ``tasks`` in order (or only list them); what was (or would be) removed."""
    removed = []
    for task in tasks:
        for target in luigi.task.flatten(task.output()):
            if target.exists():
                if not dry_run:
                    remove(target)
                removed.append(f"{shown(task)}: {describe(target)}")
    return removed


def command(task: luigi.Task) -> str:
    """The ``luigi`` command that runs ``task`` alone (drop ``--local-scheduler`` to go through luigid)."""
    params = {name: value for name, value in task.param_kwargs.items() if name != WAREHOUSE_ID}  # from D2B_ID
    args = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in params.items())
    return f"luigi --module d2b_luigi {task.get_task_family()} {args} --local-scheduler"
