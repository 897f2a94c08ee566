"""The project's base tasks: settings, stable marker ids, one transaction per database step."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import luigi
import luigi.task

from d2b_luigi import inputs, warehouse
from d2b_luigi.catalog import SOURCES
from d2b_luigi.config import ConfigError, Settings, resolve, settings
from d2b_luigi.faults import pause_point

WAREHOUSE_ID = "warehouse_id"
WAREHOUSE = "warehouse"  # the luigi resource every step that works in the warehouse claims one unit of


def warehouse_cap() -> int | None:
    """``[resources] warehouse`` of this process's luigi config: how many warehouse steps may run at once."""
    return luigi.configuration.get_config().getintdict("resources").get(WAREHOUSE)


class WarehouseTask(luigi.Task):
    """A task of one warehouse id: the id is part of its luigi task_id, so deployments of two ids that share
    one luigid never share a task (``LoadStaging_2025_07_01_orders_east_…``).

    ``warehouse_id`` is filled from the configured id (``--d2b-id`` > ``D2B_ID`` > luigi.cfg ``[d2b] id``)
    when not given, so every task a process makes has the same one. A task given another id refuses to work
    (:meth:`own_id`, from its settings and from the ``requires()`` of the tasks without settings), so one
    graph never mixes two ids. Markers do not include it (``step_id``): each id has its own schemas.
    """

    warehouse_id = luigi.OptionalParameter(
        default=None,
        positional=False,
        description="the warehouse id of the deployment (set it with --d2b-id or D2B_ID; filled from there)",
    )

    @classmethod
    def get_params(cls) -> list[tuple[str, luigi.Parameter]]:
        """luigi's list of the class's parameters, made once per class: luigi walks ``dir(cls)`` each time, and
        asks for it whenever it makes, names or logs a task (thousands of times in a run)."""
        if "_luigi_params" not in cls.__dict__:
            cls._luigi_params = super().get_params()
        return list(cls._luigi_params)

    @classmethod
    def get_param_values(
        cls, params: list[tuple[str, luigi.Parameter]], args: tuple, kwargs: dict
    ) -> list[tuple[str, object]]:
        values = super().get_param_values(params, args, kwargs)
        if dict(values).get(WAREHOUSE_ID) is not None:
            return values
        configured = resolve("id")[0]  # an unusable id is reported by the run itself (Settings)
        return [(name, configured if name == WAREHOUSE_ID else value) for name, value in values]

    def own_id(self) -> str:
        """The task's warehouse id, after making sure it is the configured one."""
        configured, where = resolve("id")
        if self.warehouse_id != configured:
            raise ConfigError(
                f"{self.get_task_family()}: --warehouse-id {self.warehouse_id} differs from the configured warehouse "
                f"id {configured!r} ({where}); set the id with --d2b-id or D2B_ID instead"
            )
        return configured


def shown(task: luigi.Task) -> str:
    """The task as luigi shows it but without the warehouse id, which the deployment gives:
    ``Export(date=2025-07-01, table=agg_shipments)``."""
    params = ", ".join(f"{name}={value}" for name, value in task.param_kwargs.items() if name != WAREHOUSE_ID)
    return f"{task.get_task_family()}({params})"


class PipelineTask(WarehouseTask):
    """Every d2b_luigi task: access to the resolved settings, a stable id, its row counts."""

    #: True for a task that keeps a warehouse connection busy while it runs: it counts against the cap
    holds_warehouse = False

    @property
    def resources(self) -> dict[str, int]:
        """One unit of ``warehouse`` for a task that holds the warehouse, only while ``[resources] warehouse``
        is configured: luigi's scheduler gives a resource it does not know 1 unit, which would run one such
        step at a time. The scheduler that enforces the cap is luigid (for every host), or the local one."""
        return {WAREHOUSE: 1} if self.holds_warehouse and warehouse_cap() is not None else {}

    @property
    def settings(self) -> Settings:
        if not hasattr(self, "_settings"):
            self.own_id()
            self._settings = settings()
        return self._settings

    @property
    def step_id(self) -> str:
        """``Family:value:value`` from the significant parameters but the warehouse id (each id has its own
        schemas), e.g. ``LoadStaging:2025-07-01:orders``."""
        values = [
            self.param_kwargs[name] for name, param in self.get_params() if param.significant and name != WAREHOUSE_ID
        ]
        return ":".join([self.get_task_family(), *(str(v) for v in values)])

    def row_counts(self, cursor) -> dict[str, int]:
        """The rows this step loaded, rejected or exported (``rows_loaded`` …), for the run log."""
        return {}

    @property
    def retry_count(self) -> int | None:
        """Failures luigi retries when waiting for late files is on (``D2B_LANDING_CHECKS`` > 1), counting
        the first look of a landing file; else luigi's default (no retry within a run)."""
        checks = self.settings.landing_checks
        return checks - 1 if checks > 1 else None

    @contextlib.contextmanager
    def failure_shown(self) -> Iterator[None]:
        """Around a step's work: when it fails, luigid's status message says so, and why."""
        try:
            yield
        except Exception as exc:
            if callable(self.set_status_message):
                self.set_status_message(f"failed: {first_line(exc)}")
            raise


def first_line(error: BaseException | str, limit: int = 300) -> str:
    """The error's first line, cut to ``limit`` characters; errors not raised by d2b_luigi keep their type."""
    if isinstance(error, BaseException):
        text = (str(error).strip().splitlines() or [""])[0]
        ours = type(error).__module__.startswith("d2b_luigi")
        text = text if ours and text else f"{type(error).__name__}: {text}".rstrip(": ")
    else:
        text = (error.strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FailAfterCommit(Exception):
    """Raised by ``write()`` to commit what it recorded (rejects, check results) without the marker, then fail."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class NeededStepRedone(RuntimeError):
    """A step this one builds on was withdrawn by a concurrent run after this run saw it done."""


class DatabaseStep(PipelineTask):
    """A step that writes to the warehouse, always through one lifecycle (design.md, item 8):

    ``prepare()``; then in one transaction: take the step's lock, check its marker, ``write()``, touch the
    marker, commit; then ``after_commit()``. Any failure calls ``after_failure(exc)`` and is raised again.
    Subclasses implement ``write()`` and the hooks they need; none overrides ``run()``.

    The marker's ``update_id`` is built from the parameter values only (``Family:value:value``), never
    from luigi's task_id hash, so adding a parameter later does not re-run history.

    A step is done while its marker exists *and* the landing files it was built from (``sources``) are still
    the ones its date's loads read (``inputs``). A marker whose files changed is withdrawn when the step
    claims, so the rerun writes; a load that reads another file than the last one withdraws the markers of
    the steps built from it (``LoadStaging``).
    """

    target_table: str = ""  # every subclass has a ``date`` parameter too
    holds_warehouse = True

    @property
    def update_id(self) -> str:
        return self.step_id

    @property
    def sources(self) -> tuple[str, ...]:
        """The landing files this step's rows are built from: by default all of its date's."""
        return SOURCES

    def output(self) -> warehouse.MarkerTarget:
        return warehouse.MarkerTarget(self.settings, self.update_id, self.target_table)

    def complete(self) -> bool:
        return self.complete_in(inputs.DateState(self.settings, self.date, self.marker_ids()))

    def marker_ids(self) -> list[str]:
        """The markers ``complete_in`` looks at."""
        return [self.update_id]

    def complete_in(self, state: inputs.DateState) -> bool:
        """Done by ``state`` (read once for several steps of the date: ``RunAll.complete``)."""
        return self.update_id in state.markers and not state.changed(self.sources)

    def run(self) -> None:
        with self.failure_shown():
            self._lifecycle()
        if callable(self.set_progress_percentage):
            self.set_progress_percentage(100)

    def _lifecycle(self) -> None:
        try:
            self.prepare()
            with warehouse.transaction(self.settings) as cursor:
                failure = None
                # False: another run did this step while we waited for its lock; its after_commit work is
                # still ours to do (e.g. this host's downloads)
                if warehouse.claim(cursor, self.settings, self.update_id) or self._withdrawn(cursor):
                    self._needs_still_done(cursor)
                    try:
                        self.write(cursor)
                    except FailAfterCommit as exc:
                        failure = exc.error
                    pause_point(self.get_task_family())  # rows written, not committed
                    if failure is None:
                        warehouse.touch(cursor, self.settings, self.update_id, self.target_table)
            if failure is not None:
                raise failure
        except Exception as exc:
            self.after_failure(exc)
            raise
        self.after_commit()

    def _needs_still_done(self, cursor) -> None:
        """Under the step's lock, before it writes: the database steps it builds on are still done. A concurrent
        run may have withdrawn one since this run's scheduler saw it done (a load of a replaced landing file
        withdraws what was built from the last one); built on now, this step would keep rows that are gone."""
        for needed in luigi.task.flatten(self.requires()):
            if isinstance(needed, DatabaseStep):
                cursor.execute(warehouse.marker_query(self.settings), (needed.update_id,))
                if cursor.fetchone() is None:
                    raise NeededStepRedone(
                        f"{self.step_id}: {needed.step_id} is no longer done (a concurrent run loaded another "
                        "landing file, or the step was invalidated) and is redone first; nothing was written, "
                        "rerun RunAll"
                    )

    def _withdrawn(self, cursor) -> bool:
        """Under the step's lock, with its marker found: remove the marker when it no longer holds, so the step
        runs again."""
        if not self.outdated():
            return False
        warehouse.remove_markers(cursor, self.settings, [self.update_id])
        return True

    def outdated(self) -> bool:
        """Whether the step must run again although its marker exists (asked under the step's lock, read afresh,
        never from a scheduling pass): by default, when the landing files it was built from changed since."""
        return inputs.DateState(self.settings, self.date, []).changed(self.sources)

    def prepare(self) -> None:
        """Work before the step's transaction (in short transactions of its own, if any)."""

    def write(self, cursor) -> None:
        """Write this step's rows with ``cursor``, inside the step's transaction."""
        raise NotImplementedError

    def after_commit(self) -> None:
        """Work that must follow the commit, e.g. dropping what the committed step emptied."""

    def after_failure(self, exc: Exception) -> None:
        """Work after a failed step (its transaction rolled back, or committed without the marker)."""


class Progress:
    """Report a long step's progress to the scheduler: as it goes at most once a second (and per 5 %), and
    always when it ends (``finish``). Each report is two calls to luigid, which a 1M-row load once made 40
    times, in the middle of its COPY."""

    interval = 1.0  # seconds between two reports as the step goes

    def __init__(
        self, task: luigi.Task, total_bytes: int, verb: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.task = task
        self.total = max(total_bytes, 1)
        self.verb = verb
        self.clock = clock
        self.reported = 0
        self.last = clock()

    def __call__(self, done_bytes: int) -> None:
        percent = min(100, done_bytes * 100 // self.total)
        if percent >= self.reported + 5 and self.clock() - self.last >= self.interval:
            self._report(percent, done_bytes, None)

    def finish(self, done_bytes: int, rows: int | None = None) -> None:
        """The step's end: 100 %, and the rows it counted (if any)."""
        self._report(100, done_bytes, rows)

    def _report(self, percent: int, done_bytes: int, rows: int | None) -> None:
        self.reported, self.last = percent, self.clock()
        self.task.set_progress_percentage(percent)
        message = f"{self.verb} {done_bytes:,} of {self.total:,} bytes"
        self.task.set_status_message(message if rows is None else f"{message}, {rows:,} rows")
