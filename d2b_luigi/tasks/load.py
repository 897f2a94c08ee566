"""Stream each day's CSV into them.

The fast path is one ``COPY … FROM STDIN (FORMAT csv, FREEZE)`` into the date's partition, in the
header's column order, while ``validation.FastCheck`` watches the bytes, followed by one cheap query that
asks whether any row could need rejecting. Only when COPY fails, the bytes are not plain or that query
says yes does the load take the validating path: every line is checked in Python, good rows are copied
with their line numbers, and bad rows go to ``{id}_staging.rejected_rows`` with the line, the raw text
(escaped, cut) and a reason. Both paths apply one grammar (see ``validation``).

A shipments file is checked against the orders, after its own COPY: the date's loaded orders when their load
is done (a load of them running meanwhile, on any worker or host, is waited for), else the valid rows of the
orders file itself, so one run reports the bad rows of every file.
"""

from __future__ import annotations

import csv
import functools
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

import luigi
import psycopg2
import psycopg2.errors
import psycopg2.extras
from psycopg2 import sql

from d2b_luigi import inputs, lake, validation, warehouse
from d2b_luigi.catalog import COLUMNS, SOURCES
from d2b_luigi.config import Settings
from d2b_luigi.tasks.base import DatabaseStep, FailAfterCommit, PipelineTask, Progress, first_line
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.extract import Download, LandingFile
from d2b_luigi.tasks.schema import MigrateSchema

log = logging.getLogger("d2b_luigi")

SHOWN_REJECTS = 5
DATA_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError)  # what makes COPY or a cast refuse a file's value


class BadFile(ValueError):
    """A landing file that cannot be loaded at all; the message names the file."""


class LoadFailed(RuntimeError):
    """An unexpected error while loading a file; the message names the file."""


class TooManyRejects(ValueError):
    """More rows were rejected than ``max_reject_ratio`` allows; the rejects are kept, the load is not."""


class CreateStagingTable(PipelineTask, luigi.WrapperTask):
    """``{id}_staging.<name>`` exists, partitioned by run date (the seed's creating_*_staging).

    The table comes from ``sql/migrations/``, so this is done when the schema is at the release's version.
    """

    name = luigi.ChoiceParameter(choices=SOURCES)

    def requires(self):
        return MigrateSchema()


DDL_LOCK = "SELECT pg_advisory_xact_lock(hashtext('d2b_luigi:ddl'))"  # around creating or dropping a partition


def partition(settings, name: str, date) -> sql.Identifier:
    """The staging partition of one source and run date, e.g. ``d2b_staging.orders_20261125``."""
    return sql.Identifier(settings.staging_schema, f"{name}_{date:%Y%m%d}")


def partitions(settings, date) -> dict[str, sql.Identifier]:
    """The placeholders ``{orders}``, ``{reviews}``, ``{shipment_deliveries}``: the date's partitions.

    SQL that reads one date's staging rows names its partitions: their statistics then guide the joins
    (the partitioned parents have none, and a join through them is planned for a billion rows).
    """
    return {name: partition(settings, name, date) for name in SOURCES}


def exists(cursor, table: sql.Identifier) -> bool:
    """Whether ``schema.table`` exists now: read from pg_class with this statement's snapshot (``to_regclass``
    may answer from a cache not yet told of a partition another session just created or dropped)."""
    schema, name = table.strings
    cursor.execute(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = %s",
        (schema, name),
    )
    return cursor.fetchone() is not None


class LoadStaging(DatabaseStep):
    """Replace the date's rows of ``{id}_staging.<name>`` with the downloaded file (the seed's loading_*_staging).

    Any failure drops the download, so the rerun fetches the file again, fixed or not.
    """

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def priority(self) -> int:
        """Orders, then reviews, then shipments, when a worker may choose: a shipments load waits for a running
        orders load after its COPY (``_orders``), so it best starts last, beside the orders load."""
        return {"orders": 2, "reviews": 1}.get(self.name, 0)

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.{self.name}"

    @property
    def url(self) -> str:
        return LandingFile(date=self.date, name=self.name).url

    @property
    def sources(self) -> tuple[str, ...]:
        """Its file (for the shipments, ``inputs`` also looks at the orders file they were checked against)."""
        return (self.name,)

    def requires(self):
        needs = {"file": Download(date=self.date, name=self.name), "table": CreateStagingTable(name=self.name)}
        if self.name in ("orders", "shipment_deliveries"):
            needs["dimensions"] = Dimensions()  # order dates are checked against dim_dates
        if self.name == "shipment_deliveries":
            # Not the orders load: a failed orders load must not keep this file from being checked.
            needs["orders"] = [LandingFile(date=self.date, name="orders"), CreateStagingTable(name="orders")]
        return needs

    def after_failure(self, exc: Exception) -> None:
        """Drop the download, so the rerun fetches the file again. Not while luigi retries the load within this
        run (waiting for late files): the retry needs it, and a download of a since-replaced file is stale anyway
        (``Download.complete``)."""
        if self.retry_count is None:
            self.requires()["file"].drop()

    def prepare(self) -> None:
        """Create the date's partition, in a short transaction of its own, unless it exists."""
        with warehouse.transaction(self.settings) as cursor:
            self._ensure_partition(cursor)

    def _ensure_partition(self, cursor) -> None:
        """Create the date's partition unless it exists. A clean-up drops it only under this step's lock
        (``CleanUp.after_commit``), so under that lock the partition stays once it is seen here."""
        leaf = partition(self.settings, self.name, self.date)
        if exists(cursor, leaf):
            return
        cursor.execute(DDL_LOCK)  # held to the end of the transaction; rarely, in write(), so to its commit
        if exists(cursor, leaf):
            return
        cursor.execute(
            warehouse.statement(
                self.settings,
                "ddl/staging_partition",
                partition=leaf,
                parent=sql.Identifier(self.settings.staging_schema, self.name),
            ),
            {"run_date": self.date},
        )

    def write(self, cursor) -> None:
        target = partition(self.settings, self.name, self.date)
        kept: list[tuple[int, str, str]] = []  # the rejects a failed file keeps: its own checked rows'
        try:
            raw, size, fingerprint = self._open(self.name, self.url)
            with raw:
                cursor.execute(
                    warehouse.statement(self.settings, "load/loaded_file"), {"run_date": self.date, "source": self.name}
                )
                last = cursor.fetchone()
                waited = None  # a shipments load waits for a running orders load after its own COPY (_orders) …
                if self.name == "shipment_deliveries" and last not in (None, (self.url, fingerprint)):
                    # … but before it takes the locks of the steps it withdraws when it replaces a file: a running
                    # load of a replaced orders file takes them too, and must not wait for them while this waits
                    waited = self._waited_for(cursor, LoadStaging(date=self.date, name="orders"))
                # first, while this transaction holds no table lock: it waits for the steps it withdraws
                self._withdraw_downstream(cursor, last, fingerprint)
                self._ensure_partition(cursor)  # a concurrent run's clean-up may have dropped it since prepare()
                orders = functools.cache(functools.partial(self._orders, cursor, waited))
                checked = orders if self.name == "shipment_deliveries" else None
                loader = FileLoader(self.settings, self.name, self.url, target, self._tmp_dir(), checked)
                result = loader.load(cursor, raw, size, self)
            orders = orders() if checked else Orders(None)
            if orders.problem:
                kept = result.rejects
                raise BadFile(f"{self.url}: {summary(result)}its order_ids cannot be checked against {orders.problem}")
        except (BadFile, lake.BadGzip) as exc:
            cursor.execute(sql.SQL("TRUNCATE {}").format(target))
            self._replace_rejects(cursor, kept)  # rejected_rows holds the current file's bad lines
            raise FailAfterCommit(exc) from None
        except Exception as exc:
            log.debug("loading %s failed", self.url, exc_info=True)
            # escaped and cut: a database error may quote a megabyte-long value
            raise LoadFailed(f"{self.url}: {validation.excerpt(first_line(exc), 300)}") from None
        self._replace_rejects(cursor, result.rejects)
        self._check_reject_ratio(cursor, result)
        cursor.execute(
            warehouse.statement(self.settings, "load/record_load"),
            {
                "run_date": self.date,
                "source": self.name,
                "file_url": self.url,
                "fingerprint": fingerprint,
                "orders_url": orders.url,
                "orders_fingerprint": orders.fingerprint,
                "bytes": size,
                "data_lines": result.lines,
                "rows_loaded": result.loaded,
                "rows_rejected": len(result.rejects),
            },
        )

    def _withdraw_downstream(self, cursor, last: tuple[str, str] | None, fingerprint: str) -> None:
        """Another file than the date's last load of this source read (or the first load): the steps built from
        that one are no longer done. Their markers go with this step's commit, whether the load succeeds or
        keeps only its rejects; their rows stay (published rows and exports are replaced by the rerun's).

        Under those steps' locks, held to the commit: a step of a concurrent run still writing from the last
        file commits its marker first (and it goes here), and none claims again before this load commits.
        ``last``: the date's last load of this source, (file, fingerprint), if any."""
        if last == (self.url, fingerprint):
            return
        from d2b_luigi.tasks.pipeline import steps  # it requires this module

        built_from = [
            step.update_id
            for step in steps(self.date)
            if isinstance(step, DatabaseStep) and self.name in step.sources and step.update_id != self.update_id
        ]
        if last is not None:
            was = last[1] if last[0] == self.url else f"{last[0]} {last[1]}"
            log.info(
                "%s is not the file this date last loaded (%s; now %s): loading it, and redoing what was built from it",
                self.url,
                was,
                fingerprint,
            )
        # A step built from the last file may still be writing: wait for it. None was loaded yet: none can be
        # (each needs this load's marker, committed with its load_log row), and the date's loads run side by side.
        for update_id in sorted(built_from) if last is not None else []:  # one order for every run: no deadlock
            warehouse.lock_step(cursor, self.settings, update_id)
        warehouse.remove_markers(cursor, self.settings, built_from)

    def _orders(self, cursor, waited: bool | None) -> Orders:
        """The orders a shipment must match: the date's loaded orders, else the valid rows of the orders file.

        A load of the date's orders that is running now (on any worker or host) is waited for: the date's
        loads start side by side, and the shipments then check against the loaded orders instead of loading
        the orders file a second time. ``waited``: whether that wait was already done (before this load's COPY);
        False: it closed a deadlock."""
        loaded = partition(self.settings, "orders", self.date)
        orders_load = LoadStaging(date=self.date, name="orders")
        if waited is None:
            waited = self._waited_for(cursor, orders_load)
        if waited:
            state = inputs.DateState(self.settings, self.date, orders_load.marker_ids())
        else:
            state = inputs.DateState(self.settings, self.date, [])  # as if not loaded: read the orders file
        if orders_load.complete_in(state) and exists(cursor, loaded):
            _, url, fingerprint = state.loads.get("orders", [("orders", None, None)])[0]
            return Orders(loaded, url=url, fingerprint=fingerprint)
        table = sql.Identifier("orders_file")
        cursor.execute(warehouse.statement(self.settings, "load/orders_file_table", table=table))
        loader = FileLoader(self.settings, "orders", orders_load.url, table, self._tmp_dir())
        raw, size, fingerprint = self._open("orders", orders_load.url)
        with raw:
            found = Orders(table, url=orders_load.url, fingerprint=fingerprint)
            try:
                found.rejected = loader.load(cursor, raw, size).rejected_orders
            except BadFile as exc:
                found.table, found.problem = None, str(exc)  # this file's own rows are still checked
        return found

    def _waited_for(self, cursor, step: DatabaseStep) -> bool:
        """Wait until ``step`` is not running; False when that wait closed a deadlock, which PostgreSQL broke by
        ending it here (e.g. the orders load withdrawing a clean-up that is waiting for this load's partition)."""
        wait = functools.partial(warehouse.wait_for_step, cursor, self.settings, step.update_id)
        if attempt(cursor, wait, psycopg2.errors.DeadlockDetected) is None:
            return True
        log.warning("%s: waiting for %s closed a deadlock; the orders file is read instead", self.url, step.step_id)
        return False

    def _open(self, name: str, url: str) -> tuple[IO[bytes], int, str]:
        """The date's landing file ``name`` to read, its size and fingerprint: this host's download while it is a
        copy of the lake's file as it is now, else the lake's file itself, streamed. The download may have run on
        another host (luigid gives a task to any worker that scheduled it; ``check_unfulfilled_deps`` is off), or
        a failed load dropped it, or the file changed in the lake since."""
        download = Download(date=self.date, name=name)
        fingerprint = download.source()
        if fingerprint is not None:
            try:
                return (*lake.open_csv(download.output().path, url), fingerprint)
            except FileNotFoundError:  # removed meanwhile: a concurrent clean-up, or a failed load's drop()
                log.info("%s: the download went away meanwhile", url)
        log.info("%s: no current download on this host, reading it from the lake", url)
        fingerprint = lake.fingerprint(self.settings, url)  # before reading: a file replaced meanwhile is stale
        return (*lake.open_landing(self.settings, url), fingerprint)

    def _tmp_dir(self) -> str:
        folder = self.settings.download_dir(self.date)
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def _check_reject_ratio(self, cursor, result: Loaded) -> None:
        """Too many rejects: empty the partition, keep the rejects (committed, under the step's lock), fail."""
        rejects, lines = result.rejects, result.lines
        if not rejects:
            return
        if len(rejects) <= self.settings.max_reject_ratio * lines:
            log.warning(
                "%s: %s of %s rows rejected (within max_reject_ratio=%s), the other rows are loaded; the rejects "
                "are in %s.rejected_rows WHERE ingestion_date = '%s' AND source = '%s' (first: line %d: %s)",
                *(self.url, f"{len(rejects):,}", f"{lines:,}", self.settings.max_reject_ratio),
                self.settings.staging_schema,
                *(self.date, self.name, rejects[0][0], rejects[0][2]),
            )
            return
        cursor.execute(sql.SQL("TRUNCATE {}").format(partition(self.settings, self.name, self.date)))
        raise FailAfterCommit(
            TooManyRejects(
                f"{self.url}: {len(rejects):,} of {lines:,} rows rejected, more than max_reject_ratio="
                f"{self.settings.max_reject_ratio} allows; nothing of this file was loaded. {shown(rejects)}. "
                f"All rejects: {self.settings.staging_schema}.rejected_rows "
                f"WHERE ingestion_date = '{self.date}' AND source = '{self.name}'"
            )
        )

    def _replace_rejects(self, cursor, rejects: list[tuple[int, str, str]]) -> None:
        params = {"run_date": self.date, "source": self.name}
        cursor.execute(warehouse.statement(self.settings, "load/delete_rejects"), params)
        psycopg2.extras.execute_values(
            cursor,
            warehouse.statement(self.settings, "load/insert_rejects"),
            [(self.date, self.name, self.url, n, text, reason) for n, text, reason in rejects],
            page_size=1000,
        )

    def row_counts(self, cursor) -> dict[str, int]:
        cursor.execute(
            warehouse.statement(self.settings, "runlog/load_counts"), {"run_date": self.date, "source": self.name}
        )
        loaded, rejected = cursor.fetchone()
        return {"rows_loaded": loaded, "rows_rejected": rejected}


def shown(rejects: list[tuple[int, str, str]]) -> str:
    """The first rejects for a message: ``line 3: reason; line 5: reason and 12 more``."""
    first = "; ".join(f"line {n}: {reason}" for n, _, reason in rejects[:SHOWN_REJECTS])
    return first + (f" and {len(rejects) - SHOWN_REJECTS:,} more" if len(rejects) > SHOWN_REJECTS else "")


def summary(result: Loaded) -> str:
    """``2 of 9 rows rejected: line 3: …; `` when the load rejected rows, else nothing. First in a message: the
    failure line of a run is cut, and the lines must show."""
    if not result.rejects:
        return ""
    return f"{len(result.rejects):,} of {result.lines:,} rows rejected: {shown(result.rejects)}; "


@dataclass
class Orders:
    """What a shipments load checks its order_ids against: ``table`` (None: they cannot be checked, ``problem``
    says why), the orders file it came from, and that file's rejected orders (order_id -> line)."""

    table: sql.Composable | None
    problem: str = ""
    url: str | None = None
    fingerprint: str | None = None
    rejected: dict[int, int] = field(default_factory=dict)


@dataclass
class Loaded:
    """What a load made of a file: its data lines, the rows loaded, and ``(line, raw text, reason)`` rejected."""

    lines: int
    loaded: int
    rejects: list[tuple[int, str, str]]
    rejected_orders: dict[int, int] = field(default_factory=dict)  # an orders file: order_id -> its rejected line


class FileLoader:
    """One landing file of ``source`` into ``target``: the fast path, else the validating path.

    ``orders``, for a shipments file, gives (once, after the file's COPY) the orders a shipment's order_id must
    be found in: their table (None: not checked) and the orders file's rejected orders (order_id -> line), which
    a shipment's reason names. Raises ``BadFile`` for a file that cannot be loaded at all (header, encoding, no
    rows).
    """

    def __init__(
        self,
        settings: Settings,
        source: str,
        url: str,
        target: sql.Composable,
        tmp_dir: str,
        orders: Callable[[], Orders] | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.url = url
        self.target = target
        self.tmp_dir = tmp_dir
        self.orders = orders or (lambda: Orders(None))

    @property
    def references(self) -> sql.Composable | None:
        """The table a shipment's order_id must be found in (None: not checked); asks for it the first time."""
        return self.orders().table

    def load(self, cursor, raw: IO[bytes], size: int, task: luigi.Task | None = None) -> Loaded:
        """Load ``raw`` (an open file of ``size`` bytes, decompressed); ``task``, if any, is told the progress."""
        columns = check_header(raw.readline(), COLUMNS[self.source], self.url)
        body_start = raw.tell()
        progress = Progress(task, size - body_start, "loaded") if task else None
        result = self._fast_load(cursor, raw, columns, progress)
        if result is None:
            raw.seek(body_start)
            result = self._validating_load(cursor, raw, columns)
        if result.lines == 0 and not self.settings.allow_empty_files:
            raise BadFile(
                f"{self.url}: a header and no data rows; nothing was loaded "
                "(D2B_ALLOW_EMPTY_FILES=true accepts a file without rows)"
            )
        if progress:
            progress.finish(size - body_start, rows=result.loaded)
        return result

    def _fast_load(self, cursor, raw, columns: list[str], progress: Progress | None) -> Loaded | None:
        """COPY the file as it is; None when COPY fails or any row could need rejecting (the validating load
        then empties the partition again)."""
        counted = warehouse.CountingReader(raw, progress)
        check = validation.FastCheck(counted, validation.date_patterns(validation.schema(self.source, columns)))
        copied: list[int] = []

        def copy() -> None:
            cursor.execute(sql.SQL("TRUNCATE {}").format(self.target))
            copied.append(warehouse.copy_in(cursor, self.target, columns, check, freeze=True))

        reason = attempt(cursor, copy) or self._suspect(cursor, check)
        if reason:
            log.info("%s needs row-by-row validation: %s", self.url, reason)
            return None
        return Loaded(counted.lines, copied[0], [])

    def _suspect(self, cursor, check: validation.FastCheck) -> str | None:
        """Why a row of the copied file could need rejecting, if it could. A shipments file asks for its orders
        only after the checks of its own rows: their load may be running beside it (``LoadStaging._orders``)."""
        if not check.plain:
            return "a value is quoted, padded or holds more than digits, signs and dashes"
        found = self._first_row(
            cursor, self._statement("load/analyze_partition"), self._statement(f"rejects/detect_{self.source}")
        )
        if isinstance(found, str):
            return found
        suspect, dates, *order_ids = found
        if check.canonical_dates != dates:
            return "a date is not written YYYY-MM-DD"
        if suspect:
            return "a key repeats or an order_date is not in dim_dates"
        if self.source == "shipment_deliveries":
            return self._missing_orders(cursor, *order_ids)
        return None

    def _missing_orders(self, cursor, lo: int | None, hi: int | None) -> str | None:
        """Why a shipment of the copied file could lack its order (its order_ids run from ``lo`` to ``hi``)."""
        if self.references is None:
            return "the order references cannot be checked"
        detect = self._statement("rejects/detect_missing_orders", orders=self.references)
        found = self._first_row(cursor, cursor.mogrify(detect, {"lo": lo, "hi": hi}))
        if isinstance(found, str):
            return found
        return "an order_id may be missing from the orders" if found[0] else None

    @staticmethod
    def _first_row(cursor, *statements) -> tuple | str:
        """The first row of the last of ``statements``, run in a savepoint; or why a data error undid them."""
        found: list[tuple] = []

        def run() -> None:
            for statement in statements:
                cursor.execute(statement)
            found.append(cursor.fetchone())

        return attempt(cursor, run) or found[0]

    def _validating_load(self, cursor, raw, columns: list[str]) -> Loaded:
        """Check every line; copy the good ones with their line numbers; note the bad ones."""
        cursor.execute(sql.SQL("TRUNCATE {}").format(self.target))
        rejects: dict[int, tuple[str, str]] = {}
        rejected_orders: dict[int, int] = {}
        key = columns.index("order_id") if self.source == "orders" else None
        lines = 0
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=self.tmp_dir) as good:
            out = csv.writer(good, lineterminator="\n")
            try:
                for line_no, text, fields, reason in validation.scan(raw, validation.schema(self.source, columns)):
                    lines += 1
                    if reason:
                        rejects[line_no] = (validation.excerpt(text), reason)
                        if key is not None and key < len(fields) and not validation.integer(fields[key]):
                            rejected_orders.setdefault(int(fields[key]), line_no)  # the first line names it
                    else:
                        out.writerow([*fields, line_no])
            except validation.Undecodable as exc:
                raise BadFile(f"{self.url}: {exc}; nothing was loaded") from None
            good.seek(0)
            loaded = warehouse.copy_in(cursor, self.target, [*columns, "line_no"], good)
        cursor.execute(self._statement("load/analyze_partition"))
        orders = self.orders()
        cursor.execute(
            self._statement(f"rejects/{self.source}", orders=orders.table or self.target),
            {
                "check_orders": orders.table is not None,
                "rejected_order_ids": list(orders.rejected),
                "rejected_order_lines": list(orders.rejected.values()),
            },
        )
        late = {
            line_no: f"column {columns.index(column) + 1} ({column}): {problem}"
            for line_no, column, problem in cursor.fetchall()
            if line_no not in rejects
        }
        if late:
            returning = sql.SQL(", order_id" if key is not None else "")
            cursor.execute(
                warehouse.statement(
                    self.settings, "load/delete_late_rejects", partition=self.target, returning=returning
                ),
                (sorted(late),),
            )
            loaded -= cursor.rowcount
            for line_no, *order_id in cursor.fetchall():  # an order deleted here: its shipments name its line
                if order_id:
                    rejected_orders[order_id[0]] = min(line_no, rejected_orders.get(order_id[0], line_no))
            raw.seek(0)
            for line_no, text in enumerate(raw, start=1):
                if line_no in late:
                    rejects[line_no] = (validation.excerpt(text.decode("utf-8").rstrip("\r\n")), late[line_no])
        rejects_list = [(n, text, reason) for n, (text, reason) in sorted(rejects.items())]
        return Loaded(lines, loaded, rejects_list, rejected_orders)

    def _statement(self, name: str, **more: sql.Composable) -> sql.Composed:
        return warehouse.statement(self.settings, name, partition=self.target, **more)


def attempt(
    cursor, work: Callable[[], object], errors: type[Exception] | tuple[type[Exception], ...] = DATA_ERRORS
) -> str | None:
    """``work()`` inside a savepoint; the first line of the error (of ``errors``) that undid it, if one did."""
    cursor.execute("SAVEPOINT attempt")
    try:
        work()
        failed = None
    except errors as exc:
        failed = first_line(exc)
    if failed is not None:  # outside the except block: its error (maybe quoting a huge value) is not chained
        cursor.execute("ROLLBACK TO SAVEPOINT attempt")
    cursor.execute("RELEASE SAVEPOINT attempt")
    return failed


def check_header(line: bytes, expected: list[str], url: str) -> list[str]:
    """The file's columns in its order; fail unless the header names exactly ``expected``, in any order."""
    if not line:
        raise BadFile(f"{url}: the file is empty (expected a header row: {','.join(expected)})")
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BadFile(f"{url}: line 1, byte {exc.start + 1}: not UTF-8 ({exc.reason})") from None
    try:
        found = [name.strip() for name in next(csv.reader([text]))]
    except csv.Error:
        found = []
    if sorted(found) != sorted(expected):
        raise BadFile(
            f"{url}: line 1: expected header {','.join(expected)} (in any order), found {validation.excerpt(text, 300)}"
        )
    return found
