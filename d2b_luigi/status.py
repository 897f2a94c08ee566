"""What happened for one date: each step's state, its latest run, and the data-quality results."""

from __future__ import annotations

import dataclasses
import datetime as dt

import luigi
import psycopg2.errors

from d2b_luigi import migrations, warehouse
from d2b_luigi.config import Settings
from d2b_luigi.runlog import COUNTS, label, run_date
from d2b_luigi.tasks.cleanup import CleanUp
from d2b_luigi.tasks.pipeline import RunAll, steps

# The steps whose targets CleanUp removes once the date is exported (their rows and files are no longer needed).
CLEANED_UP = ("Download", "LoadStaging")


@dataclasses.dataclass
class Step:
    """One step of the date and its latest run (``None`` fields: it never ran, or ran before the run log)."""

    task: luigi.Task
    state: str
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration_s: float | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    rows_exported: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return label(self.task)

    @property
    def per_date(self) -> bool:
        return run_date(self.task) is not None


@dataclasses.dataclass
class DateStatus:
    date: dt.date
    done: bool
    steps: list[Step]
    quality: list[dict]
    schema: dict[int, str]  # the migrations recorded in the warehouse, {version: name}


def fetch(settings: Settings, name: str, params: dict) -> list[dict]:
    """Rows of ``sql/<name>.sql`` as dicts; none when the pipeline's tables do not exist yet."""
    connection = warehouse.shared_connection(settings.dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(warehouse.statement(settings, name), params)
            names = [c.name for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
        return []


def date_status(settings: Settings, date: dt.date) -> DateStatus:
    """Every step of ``RunAll(date)`` with its state and latest run, and the date's quality results."""
    schema = warehouse.schema_versions(settings)
    tasks = [task for task in steps(date) if not isinstance(task, RunAll)]
    latest = {
        row["step_id"]: row for row in fetch(settings, "runlog/latest", {"step_ids": [task.step_id for task in tasks]})
    }
    cleaned = CleanUp(date=date).complete()
    result = []
    for task in tasks:
        run = latest.get(task.step_id, {})
        result.append(
            Step(
                task=task,
                state=state(task, run.get("status"), cleaned),
                started_at=run.get("started_at"),
                finished_at=run.get("finished_at"),
                duration_s=run.get("duration_s"),
                error=run.get("error"),
                **{count: run.get(count) for count in COUNTS},
            )
        )
    quality = fetch(settings, "report/quality", {"run_date": date})
    return DateStatus(date=date, done=RunAll(date=date).complete(), steps=result, quality=quality, schema=schema)


def state(task: luigi.Task, last_run: str | None, cleaned: bool) -> str:
    """``done``, ``cleaned up`` (finished, then removed by CleanUp), ``failed``, ``running``, ``interrupted``
    (started, never ended: its process was killed), ``missing`` or ``pending``."""
    if task.complete():
        return "done"
    if cleaned and task.get_task_family() in CLEANED_UP:
        return "cleaned up"
    if last_run in ("failed", "running", "interrupted"):
        return last_run
    return "missing" if isinstance(task, luigi.ExternalTask) else "pending"


def duration(seconds: float) -> str:
    """``35 ms``, ``4.20 s`` or ``3 min 07 s``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def interrupted(step: Step) -> str:
    """What an interrupted step's line says: when it started, and that it never ended."""
    return f"interrupted: started {utc(step.started_at)} and never ended (its process was killed or stopped)"


def schema_line(applied: dict[int, str]) -> str:
    """``schema version 3 (0003_publish), this release's`` or how far behind it is."""
    current = migrations.describe(max(applied, default=0), applied)
    release = migrations.available()[-1]
    if release.version == max(applied, default=0):
        return f"schema {current}, this release's"
    return (
        f"schema {current}; this release brings version {release.version} ({release.name}) "
        f"with the next RunAll or `d2b migrate`"
    )


def not_published(status: DateStatus) -> list[str]:
    """For a done date with steps pending (a step redone by hand: a ``Transform`` withdraws the date's
    ``QualityCheck``), that its published rows are the last audited ones, and how to publish the new ones."""
    pending = [step.label for step in status.steps if step.state == "pending"]
    if not status.done or not pending:
        return []
    return [
        f"pending: {', '.join(pending)}: a step was redone by hand; the published rows and exports are the last "
        "audited ones.",
        f"To audit and publish its rows: d2b invalidate Publish --date {status.date} --downstream, then RunAll.",
    ]


def format_status(settings: Settings, status: DateStatus) -> str:
    """The plain-text table ``d2b status`` prints."""
    row = "{:<46} {:<11} {:<19} {:>10} {:>9} {:>9} {:>9}"
    lines = [
        f"{settings.analytics_schema} for {status.date}: {'done' if status.done else 'NOT done'}",
        schema_line(status.schema),
        *not_published(status),
        "",
        row.format("step", "state", "finished (UTC)", "took", "loaded", "rejected", "exported"),
    ]
    for step in status.steps:
        finished = (
            step.finished_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if step.finished_at else ""
        )
        took = duration(step.duration_s) if step.duration_s is not None else ""
        counts = [f"{c:,}" if c is not None else "" for c in (step.rows_loaded, step.rows_rejected, step.rows_exported)]
        lines.append(row.format(step.label, step.state, finished, took, *counts).rstrip())
        if step.state == "failed" and step.error:
            lines.append(f"{'':<46} {step.error.splitlines()[0]}")
        if step.state == "interrupted":
            lines.append(f"{'':<46} {interrupted(step)}")
        if step.state == "running":
            lines.append(f"{'':<46} running since {utc(step.started_at)}")
    failed = [q for q in status.quality if not q["passed"]]
    lines += ["", f"quality checks: {len(status.quality) - len(failed)} passed, {len(failed)} failed"]
    for q in status.quality:
        verdict = "pass" if q["passed"] else "FAIL"
        lines.append(f"  {verdict:<4}  {q['severity']:<5}  {q['check_name']:<40} {q['failing_rows']:>6} failing rows")
    if not status.quality:
        lines.append("  (not checked yet)")
    return "\n".join(lines)
