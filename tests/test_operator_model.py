"""A model-based test of the operator's state machine (issue 8): random sequences of what an operator does,
with the promised outcome checked after every action.

Rules (operator actions), on 3 run dates with small generated data whose good files have landed first:
  land      put a date's three files in the lake, each good or faulty: a bad row (of several kinds), a NUL
            byte, header only, or missing
  fix       put the date's good files back
  replace   the date's files replaced by other good data (a new truth), finished date or not
  run_all   ``RunAll`` in-process (luigi.build, local scheduler)
  kill_9    the real ``luigi`` command held inside a step (``D2B_PAUSE_AT``), then ``kill -9``
  invalidate  ``d2b invalidate <step> [--downstream]``
  run_one_task  one task of the date, as a person runs it by hand
  two_run_alls  two real ``luigi … RunAll`` commands started together

The model. Each date has a "truth" (its good rows, drawn at the start and again by ``replace``); a landing
varies only the faults around it, and ``fix`` lands the truth again. A date's published rows are none or
``reference_model.analytics(truth)`` of the truth it was last published from. A date is published from its
current truth by a run that succeeded, a task of a publishing step (Publish, Export, CleanUp) that
succeeded, or a kill inside a step that comes after the publish: a step counts as done only while the
landing files it was built from are the ones in the lake, so any of these redid the date from the files as
they are now.

Invariants, after every action:
  - published: a published date's rows in ``{id}_analytics`` equal the reference model's; a date never
    published has no rows at all (write-audit-publish: nothing unaudited reaches consumers);
  - exports: an export file equals the published row (header only for no row);
  - every marker has its rows: a LoadStaging marker has the rows of a truth of the date (the one its file
    held when it ran: a marker whose file was replaced since is withdrawn by the next run) and no rejects, a
    QualityCheck marker has stored results with every ``error`` check passed;
  - a cleaned date (CleanUp marker, and no step run by hand nor file landed since) has no staging rows, no
    rejects and no downloads left. A step run by hand after the clean-up downloads and loads again what it
    needs (README, "Why a rerun is always safe"), and those are kept; so is what a run of a date whose files
    changed fetched before it stopped (a missing orders file, a kill): the clean-up no longer vouches for it.
After every run (in-process or a command that was not killed):
  - all files good now: the run succeeds (any sequence, then RunAll, is right); a file bad or missing now:
    the run fails, however finished the date was before the file was replaced;
  - a failed run leaves the published rows as they were, names each bad file it read in its errors, and
    ``rejected_rows`` holds exactly the current files' bad lines. "Current" means: for each source whose
    load is not done after the run, the file as it is now (the run must have read it; the shipments file is
    checked against the orders file even when the orders load fails), except the shipments when the
    orders file is missing, and their order references when the orders file is refused whole (header only).
    A source whose load is done has no rejects (max_reject_ratio is 0).

Profiles (``D2B_MODEL_PROFILE``): ``bounded`` (default, in ``make test``): a few short sequences, derandomized
so CI explores the same sequences every time (a failure replays by itself) and never fails on a newly found
one; new sequences are the soak's job. ``soak`` (``make soak``, ``SOAK_MINUTES``, default 20): random
sequences until the time is up, then prints how many sequences and actions ran. Its failing examples are kept
in Hypothesis's example database under ``.hypothesis/`` (git-ignored) and replayed first by the next soak.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import luigi
import psycopg2
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import d2b_luigi
from d2b_luigi import cli
from d2b_luigi.catalog import COLUMNS, SOURCES, TABLES
from d2b_luigi.invalidate import REMOVABLE
from d2b_luigi.tasks.pipeline import steps
from tests import reference_model as rm
from tests.commands import LuigiProcess, process_env
from tests.conftest import ROOT, TINY, Pipeline

DATES = (dt.date(2025, 1, 2), dt.date(2025, 5, 2), dt.date(2025, 7, 1))
PRODUCTS = {1: "Hammer", 2: "Screwdriver", 3: "Saw"}
PAUSE_STEPS = ("Download", "LoadStaging", "Transform", "QualityCheck", "Publish", "Export", "CleanUp")
AFTER_PUBLISH = ("Export", "CleanUp")  # a run held inside one of these has published the date
PUBLISHING = ("Publish", "Export", "CleanUp")  # a task of these families that succeeds has published the date
SUCCESS = (luigi.LuigiStatusCode.SUCCESS, luigi.LuigiStatusCode.SUCCESS_WITH_RETRY)
BAD_ROWS = {
    "orders": ("wrong_field_count", "not_an_integer", "invalid_date", "date_not_in_dim_dates", "repeated_key"),
    "reviews": ("wrong_field_count", "not_an_integer", "stars_out_of_range"),
    "shipment_deliveries": ("wrong_field_count", "invalid_date", "unknown_order", "repeated_key"),
}
FAULTS = {name: ("good", *(f"bad_row:{kind}" for kind in kinds), "nul", "header_only", "missing")
          for name, kinds in BAD_ROWS.items()}  # fmt: skip

STATS: Counter = Counter()  # sequences and actions run, printed by the soak


def dim_dates() -> dict[dt.date, rm.Day]:
    with open(TINY / "dim_dates.csv", newline="") as f:
        return {
            dt.date.fromisoformat(r["calendar_dt"]): rm.Day(int(r["day_of_the_week_num"]), r["working_day"] == "true")
            for r in csv.DictReader(f)
        }


DIM_DATES = dim_dates()
HOLIDAYS = sorted(d for d in DIM_DATES if rm.is_public_holiday(d, DIM_DATES))


# --- the data of a date ---------------------------------------------------------------------------------


Truth = rm.Snapshot  # a date's good rows: what its files hold once fixed


def csv_value(value) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


def data_lines(truth: Truth, name: str) -> list[str]:
    return [",".join(csv_value(getattr(row, c)) for c in COLUMNS[name]) for row in truth.rows(name)]


@st.composite
def truths(draw, run_date: dt.date, allow_empty: bool) -> Truth:
    """A few orders around the run date (some on public holidays, some after it), reviews, shipments."""
    days = sorted({run_date + dt.timedelta(days=n) for n in (-400, -365, -364, -30, -15, -14, -6, -1, 0, 1)}
                  | {h for h in HOLIDAYS if run_date - dt.timedelta(days=400) <= h <= run_date})  # fmt: skip
    orders = []
    for order_id in range(1, draw(st.integers(1, 5)) + 1):
        price, quantity = draw(st.sampled_from((10, 50))), draw(st.integers(1, 3))
        orders.append(rm.Order(order_id, draw(st.integers(1, 2)), draw(st.sampled_from(days)),
                               draw(st.sampled_from(sorted(PRODUCTS))), price, quantity, price * quantity))  # fmt: skip
    reviews = draw(st.lists(st.builds(rm.Review, st.integers(1, 5), st.sampled_from(sorted(PRODUCTS))),
                            min_size=0 if allow_empty else 1, max_size=5))  # fmt: skip
    shipped = draw(st.lists(st.sampled_from(orders), min_size=1, unique=True))
    shipments = []
    for shipment_id, order in enumerate(shipped, start=101):
        after = draw(st.sampled_from((None, 0, 3, 5, 6, 7, 20)))
        shipment_date = None if after is None else order.order_date + dt.timedelta(days=after)
        delivered = shipment_date is not None and draw(st.booleans())
        delivery_date = shipment_date + dt.timedelta(days=2) if delivered else None
        shipments.append(rm.Shipment(shipment_id, order.order_id, shipment_date, delivery_date))
    return Truth(tuple(orders), tuple(reviews), tuple(shipments))


@dataclass
class Landed:
    """A file as landed: its bad lines (line number -> text, None: any text) and whether it has no rows."""

    bad: dict[int, str | None] = field(default_factory=dict)
    header_only: bool = False


def bad_line(name: str, kind: str, first: list[str]) -> str:
    """One bad data line of ``kind``, made from the file's first data line (or a made-up one)."""
    fields = first or {"orders": "1,1,2025-01-01,1,10,1,10", "reviews": "5,1",
                       "shipment_deliveries": "101,1,2025-01-02,"}[name].split(",")  # fmt: skip
    fields = list(fields)
    if kind == "wrong_field_count":
        fields = fields[:-1]
    elif kind == "not_an_integer":
        fields[-1] = "many"
    elif kind == "stars_out_of_range":
        fields[0] = "7"
    elif kind == "invalid_date":
        fields[2] = "2025-02-30"
    elif kind == "date_not_in_dim_dates":
        fields[2] = "2030-01-02"
    elif kind == "unknown_order":
        fields[0], fields[1] = "999", "999999"
    elif kind == "nul":
        fields[0] = fields[0] + "\x00"
    elif kind == "repeated_key" and not first:
        fields = fields[:-1]  # nothing to repeat: a wrong field count instead
    return ",".join(fields)


def faulty_file(name: str, lines: list[str], fault: str) -> tuple[str | None, Landed]:
    """The text of a landing file with ``fault``, and what the model knows of it (None text: missing)."""
    header = ",".join(COLUMNS[name])
    if fault == "missing":
        return None, Landed()
    if fault == "header_only":
        return header, Landed(header_only=True)
    if fault == "good":
        return "\n".join([header, *lines]), Landed(header_only=not lines)
    kind = fault.removeprefix("bad_row:")
    bad = bad_line(name, kind, lines[0].split(",") if lines else [])
    body = [*lines[:1], bad, *lines[1:]]  # the bad line is the second data line, file line 3 (2 when no rows)
    line_no = 3 if lines else 2
    # a line with a NUL byte is stored escaped: only its line number is compared
    return "\n".join([header, *body]), Landed(bad={line_no: None if "\x00" in bad else bad})


# --- the state machine ----------------------------------------------------------------------------------


@dataclass
class Context:
    """What the pytest test hands to each sequence."""

    dsn: str
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch


class OperatorMachine(RuleBasedStateMachine):
    context: Context

    def __init__(self) -> None:
        super().__init__()
        STATS["sequences"] += 1
        self.root = self.context.tmp_path / f"sequence-{STATS['sequences']}"
        self.pipeline = Pipeline(self.context.dsn, self.root, self.context.monkeypatch)
        self.db = psycopg2.connect(self.context.dsn)  # one connection for the invariants' reads
        self.db.autocommit = True
        self.pipeline.dimensions.mkdir(parents=True)
        shutil.copy(TINY / "dim_dates.csv", self.pipeline.dimensions / "dim_dates.csv")
        products = ["product_id,product_category,product_name", *(f"{i},Tools,{n}" for i, n in PRODUCTS.items())]
        (self.pipeline.dimensions / "dim_products.csv").write_text("\n".join(products) + "\n")
        self.truth: dict[dt.date, Truth] = {}
        self.files: dict[dt.date, dict[str, Landed | None]] = {d: dict.fromkeys(SOURCES) for d in DATES}
        self.history: dict[dt.date, list[Truth]] = {d: [] for d in DATES}  # every truth a date had
        self.published: dict[dt.date, Truth | None] = dict.fromkeys(DATES)  # what it was last published from
        self.by_hand_after_clean_up: set[dt.date] = set()
        self.landed_after_clean_up: set[dt.date] = set()  # until a run or a CleanUp of the date succeeds
        self.allow_empty = False

    def teardown(self) -> None:
        self.db.close()
        self.pipeline.drop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- rules -------------------------------------------------------------------------------------------

    @initialize(allow_empty=st.booleans(), data=st.data())
    def the_files_arrive(self, allow_empty: bool, data) -> None:
        """Each date's good rows, landed; with D2B_ALLOW_EMPTY_FILES=true a date may have no reviews."""
        self.allow_empty = allow_empty
        value = "true" if allow_empty else "false"
        self.pipeline.env["D2B_ALLOW_EMPTY_FILES"] = value
        self.context.monkeypatch.setenv("D2B_ALLOW_EMPTY_FILES", value)
        for date in DATES:
            self.new_truth(date, data.draw(truths(date, allow_empty), label=f"truth of {date}"))

    @rule(date=st.sampled_from(DATES), faults=st.fixed_dictionaries({n: st.sampled_from(f) for n, f in FAULTS.items()}))
    def land(self, date: dt.date, faults: dict[str, str]) -> None:
        STATS["actions"] += 1
        for name in SOURCES:
            self.put(date, name, faults[name])

    @rule(date=st.sampled_from(DATES))
    def fix(self, date: dt.date) -> None:
        STATS["actions"] += 1
        for name in SOURCES:
            self.put(date, name, "good")

    @rule(date=st.sampled_from(DATES), data=st.data())
    def replace(self, date: dt.date, data) -> None:
        """Other good data for the date (the sender re-sends its files), whether it finished or not."""
        STATS["actions"] += 1
        self.new_truth(date, data.draw(truths(date, self.allow_empty), label=f"new truth of {date}"))

    @rule(date=st.sampled_from(DATES))
    def run_all(self, date: dt.date) -> None:
        STATS["actions"] += 1
        before = self.published_rows(date)
        result = self.pipeline.build(d2b_luigi.RunAll(date=date))
        self.after_a_run(date, result.status in SUCCESS, result.errors, before)

    @rule(date=st.sampled_from(DATES), step=st.sampled_from(PAUSE_STEPS))
    def kill_9(self, date: dt.date, step: str) -> None:
        """The real ``luigi`` command, held inside ``step`` and killed; a run that never reaches it just ends."""
        STATS["actions"] += 1
        before = self.published_rows(date)
        run = self.luigi_run_all(date, "kill", D2B_PAUSE_AT=step)
        paused = f"d2b_luigi: paused at {step}"
        deadline = time.monotonic() + 120
        while paused not in run.stderr and run.process.poll() is None:
            assert time.monotonic() < deadline, f"RunAll neither paused at {step} nor ended:\n{run.stderr[-3000:]}"
            time.sleep(0.02)
        if paused in run.stderr:
            run.kill()
            if step in AFTER_PUBLISH:
                self.published[date] = self.truth[date]
        else:
            code = run.finish()
            self.after_a_run(date, code == 0, problems(run), before)

    @rule(date=st.sampled_from(DATES), step=st.sampled_from(REMOVABLE), downstream=st.booleans())
    def invalidate(self, date: dt.date, step: str, downstream: bool) -> None:
        STATS["actions"] += 1
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(["invalidate", step, "--date", date.isoformat(), *(["--downstream"] if downstream else [])])

    @rule(date=st.sampled_from(DATES), task=st.sampled_from(sorted({
        (t.get_task_family(), tuple((k, v) for k, v in t.param_kwargs.items() if k not in ("date", "warehouse_id")))
        for t in steps(DATES[0]) if t.get_task_family() in PAUSE_STEPS})))  # fmt: skip
    def run_one_task(self, date: dt.date, task: tuple[str, tuple]) -> None:
        """One step of the date with whatever it still needs, as a person runs it by hand."""
        STATS["actions"] += 1
        family, params = task
        result = self.pipeline.build(getattr(d2b_luigi, family)(date=date, **dict(params)))
        if family != "CleanUp":
            self.by_hand_after_clean_up.add(date)  # what it downloads or loads again is the operator's to keep
        if self.all_good(date):
            assert result.status in SUCCESS, f"{family}{params} of {date} failed with good files:\n{result.errors}"
        if result.status in SUCCESS and family in PUBLISHING:
            self.published[date] = self.truth[date]
        if result.status in SUCCESS and family == "CleanUp":
            self.landed_after_clean_up.discard(date)

    @rule(date=st.sampled_from(DATES))
    def two_run_alls(self, date: dt.date) -> None:
        """Two real ``luigi … RunAll`` commands of the same date started together (cron and a person)."""
        STATS["actions"] += 1
        before = self.published_rows(date)
        runs = [self.luigi_run_all(date, name) for name in ("first", "second")]
        codes = [run.finish(timeout=180) for run in runs]
        errors = "\n".join(problems(run) for run in runs)
        if self.all_good(date):
            assert codes == [0, 0], f"two RunAll of {date} with good files: exit codes {codes}\n{errors}"
        self.after_a_run(date, 0 in codes, errors, before)

    # --- invariants --------------------------------------------------------------------------------------

    @invariant()
    def published_rows_are_the_reference_models_or_none(self) -> None:
        for date in self.truth:
            expected = dict.fromkeys(TABLES) if self.published[date] is None else self.expected(date)
            assert self.published_rows(date) == expected, f"{date} published from {self.published[date]}"

    @invariant()
    def exports_equal_the_published_rows(self) -> None:
        for date in self.truth:
            for table in TABLES:
                path = self.pipeline.exports / self.pipeline.id / date.isoformat() / f"{table}.csv"
                if path.exists():
                    assert self.published[date] is not None, f"{path.name} of {date} exported before it was published"
                    assert read_export(path) == export_rows(table, self.expected(date)[table]), path

    @invariant()
    def every_marker_has_its_rows(self) -> None:
        markers = self.markers()
        for date in self.truth:
            for name in SOURCES:
                if f"LoadStaging:{date}:{name}" in markers:
                    assert Counter(self.staging_rows(date, name)) in [
                        Counter(tuple(getattr(r, c) for c in COLUMNS[name]) for r in truth.rows(name))
                        for truth in self.history[date]
                    ], f"LoadStaging:{date}:{name} is marked done but staging does not hold a file's rows"
                    assert self.rejects(date, name) == {}, f"LoadStaging:{date}:{name} is done but has rejects"
            if f"QualityCheck:{date}" in markers:
                results = self.query(
                    "SELECT check_name, passed FROM {a}.quality_results"
                    " WHERE ingestion_date = %s AND severity = 'error'",
                    (date,),
                )
                assert results and all(passed for _, passed in results), f"QualityCheck:{date} is done: {results}"

    @invariant()
    def a_cleaned_date_leaves_nothing_behind(self) -> None:
        markers = self.markers()
        for date in self.truth:
            if f"CleanUp:{date}" not in markers:
                self.by_hand_after_clean_up.discard(date)
                self.landed_after_clean_up.discard(date)
            elif date not in self.by_hand_after_clean_up | self.landed_after_clean_up:
                for name in SOURCES:
                    assert self.staging_rows(date, name) == [], f"{date} is cleaned but {name} has staging rows"
                    assert self.rejects(date, name) == {}, f"{date} is cleaned but {name} has rejected rows"
                downloads = self.root / "work" / "download" / self.pipeline.id / date.isoformat()
                left = sorted(p.name for p in downloads.rglob("*")) if downloads.exists() else []
                assert left == [], f"{date} is cleaned but its downloads are left: {left}"

    # --- after a run -------------------------------------------------------------------------------------

    def after_a_run(self, date: dt.date, succeeded: bool, errors: str, before: dict) -> None:
        """What every finished run (not killed) must leave, succeeded or not."""
        if self.all_good(date):
            assert succeeded, f"RunAll of {date} failed although all its files are good now:\n{errors[-3000:]}"
        else:
            assert not succeeded, f"RunAll of {date} succeeded although a file is bad or missing: {self.files[date]}"
        if succeeded:
            self.published[date] = self.truth[date]
            self.landed_after_clean_up.discard(date)
            for name in SOURCES:
                assert self.rejects(date, name) == {}, f"RunAll of {date} succeeded but {name} has rejected rows"
            return
        assert self.published_rows(date) == before, f"a failed RunAll of {date} changed its published rows"
        markers = self.markers()
        orders = self.files[date]["orders"]
        orders_refused = orders is not None and orders.header_only and not self.allow_empty
        for name in SOURCES:
            landed = self.files[date][name]
            load_done = f"LoadStaging:{date}:{name}" in markers
            orders_missing = orders is None
            if landed is None or load_done or (name == "shipment_deliveries" and orders_missing):
                continue
            found = self.rejects(date, name)
            bad = landed.bad
            if name == "shipment_deliveries" and orders_refused:  # its order_ids cannot be checked, its values are
                assert found.items() <= bad.items(), f"rejected_rows of {name} after a failed RunAll of {date}"
                bad = found
            else:
                assert found == bad, f"rejected_rows of {name} after a failed RunAll of {date}"
            url = str(self.pipeline.landing_dir(date) / f"{name}.csv")
            if landed.bad or (landed.header_only and not self.allow_empty):
                assert url in errors, f"the failed RunAll of {date} does not name {url}:\n{errors[-3000:]}"
            for line_no in bad:
                assert f"line {line_no}" in errors, f"the failed RunAll of {date} does not name line {line_no}"

    # --- helpers -----------------------------------------------------------------------------------------

    def new_truth(self, date: dt.date, truth: Truth) -> None:
        """The date's good rows from now on, landed."""
        self.truth[date] = truth
        self.history[date].append(truth)
        for name in SOURCES:
            self.put(date, name, "good")

    def put(self, date: dt.date, name: str, fault: str) -> None:
        """Land ``name`` of ``date`` with ``fault``. Where empty files are allowed a header-only file is not a
        fault but other data, so that fault lands no file instead (the truth of a date never changes)."""
        if fault == "header_only" and self.allow_empty:
            fault = "missing"
        text, landed = faulty_file(name, data_lines(self.truth[date], name), fault)
        path = self.pipeline.landing_dir(date) / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(text.encode())
        self.files[date][name] = None if text is None else landed
        self.landed_after_clean_up.add(date)

    def all_good(self, date: dt.date) -> bool:
        return all(
            landed is not None and not landed.bad and (self.allow_empty or not landed.header_only)
            for landed in self.files[date].values()
        )

    def expected(self, date: dt.date) -> dict:
        """The rows the reference model gives for the truth the date was last published from."""
        return rm.analytics(date, self.published[date], rm.Dimensions(DIM_DATES, PRODUCTS))

    def published_rows(self, date: dt.date) -> dict:
        """Each analytics table's row for ``date`` in ``{id}_analytics``, or None."""
        found = {}
        for table in TABLES:
            rows = []
            if self.table_exists(f"{self.pipeline.id}_analytics.{table}"):
                rows = self.query(f"SELECT * FROM {{a}}.{table} WHERE ingestion_date = %s", (date,), names=True)
            assert len(rows) <= 1, f"{table} has {len(rows)} rows for {date}"
            found[table] = rows[0] if rows else None
        return found

    def query(self, statement: str, params=(), names: bool = False) -> list:
        """Rows of ``statement`` ({s}, {a}: the staging and analytics schemas); with ``names``, as JSON-like dicts."""
        with self.db.cursor() as cursor:
            cursor.execute(statement.format(s=f"{self.pipeline.id}_staging", a=f"{self.pipeline.id}_analytics"), params)
            rows = cursor.fetchall()
            if not names:
                return rows
            columns = [c.name for c in cursor.description]
        return [
            {c: v.isoformat() if isinstance(v, dt.date) else v for c, v in zip(columns, row, strict=True)}
            for row in rows
        ]

    def markers(self) -> set[str]:
        if not self.table_exists(f"{self.pipeline.id}_analytics.task_markers"):
            return set()
        return {m for (m,) in self.query("SELECT update_id FROM {a}.task_markers")}

    def staging_rows(self, date: dt.date, name: str) -> list[tuple]:
        if not self.table_exists(f"{self.pipeline.id}_staging.{name}"):
            return []
        columns = ", ".join(COLUMNS[name])
        return self.query(f"SELECT {columns} FROM {{s}}.{name} WHERE ingestion_date = %s", (date,))

    def rejects(self, date: dt.date, name: str) -> dict[int, str | None]:
        """The stored rejects of a file, line number -> raw line; None where the model expects any text."""
        if not self.table_exists(f"{self.pipeline.id}_staging.rejected_rows"):
            return {}
        rows = self.query(
            "SELECT line_no, raw_line FROM {s}.rejected_rows WHERE ingestion_date = %s AND source = %s", (date, name)
        )
        landed = self.files[date][name]
        expected = landed.bad if landed else {}
        return {n: None if n in expected and expected[n] is None else text for n, text in rows}

    def table_exists(self, name: str) -> bool:
        return self.query("SELECT to_regclass(%s) IS NOT NULL", (name,))[0][0]

    def luigi_run_all(self, date: dt.date, lock: str, **env: str) -> LuigiProcess:
        """``luigi --module d2b_luigi RunAll`` in the background, with its own lock dir (luigi's pid lock would
        turn a second command away at once)."""
        lock_dir = self.root / "locks" / lock
        lock_dir.mkdir(parents=True, exist_ok=True)
        return LuigiProcess(
            "--local-scheduler",
            "RunAll",
            "--date",
            date.isoformat(),
            env=process_env(self.pipeline, **env),
            lock_dir=lock_dir,
        )


def problems(run: LuigiProcess) -> str:
    """A ``luigi`` command's stderr without its INFO and DEBUG lines."""
    return "".join(line for line in run.lines if not line.startswith(("INFO:", "DEBUG:")))


def export_rows(table: str, row: dict | None) -> list[list[str]]:
    """The export a published row must give: the header, then the row (none for no row)."""

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    values = [] if row is None else [[number(text(row[c])) for c in rm.COLUMNS[table]]]
    return [rm.COLUMNS[table], *values]


def read_export(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [rows[0], *([number(cell) for cell in row] for row in rows[1:])]


def number(cell: str) -> str:
    """A number written one way (``25``, ``25.0`` and ``25.00`` alike); any other cell as it is."""
    try:
        return repr(float(cell))
    except ValueError:
        return cell


# --- the test -------------------------------------------------------------------------------------------

DATABASE = DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "examples"))
PROFILES = {
    # make test: the same few short sequences every time (derandomized, so a failure replays by itself)
    "bounded": settings(
        max_examples=4,
        stateful_step_count=10,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: it can take minutes; the soak shrinks
        deadline=None,
        suppress_health_check=list(HealthCheck),
    ),
    # make soak: fresh random sequences, batch after batch, until SOAK_MINUTES are up
    "soak": settings(
        max_examples=10,
        stateful_step_count=25,
        derandomize=False,
        database=DATABASE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    ),
}


def test_any_operator_sequence_ends_in_the_promised_state(dsn, tmp_path, monkeypatch):
    OperatorMachine.context = Context(dsn, tmp_path, monkeypatch)
    profile = os.environ.get("D2B_MODEL_PROFILE", "bounded")
    if profile == "bounded":
        run_state_machine_as_test(OperatorMachine, settings=PROFILES["bounded"])
        return
    stop = time.monotonic() + 60 * float(os.environ.get("SOAK_MINUTES", "20"))
    STATS.clear()
    try:
        while time.monotonic() < stop:
            run_state_machine_as_test(OperatorMachine, settings=PROFILES[profile])
    finally:
        print(f"\nsoak: {STATS['sequences']} sequences, {STATS['actions']} actions")
