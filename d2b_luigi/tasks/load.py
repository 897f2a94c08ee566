"""Stream each day's CSV into them.

The fast path is one ``COPY … FROM STDIN (FORMAT csv, FREEZE)`` into the date's partition, followed by one
cheap query that asks whether any row could need rejecting. Only when COPY fails or that query says yes
does the load take the validating path: every line is checked in Python, good rows are copied with their
line numbers, and bad rows go to ``{id}_staging.rejected_rows`` with the line, the raw text and a reason.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile

import luigi
import psycopg2
import psycopg2.extras
from psycopg2 import sql

from d2b_luigi import validation, warehouse
from d2b_luigi.catalog import COLUMNS, SOURCES
from d2b_luigi.tasks.base import DatabaseStep, FailAfterCommit, PipelineTask, Progress
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.extract import Download
from d2b_luigi.tasks.schema import MigrateSchema

log = logging.getLogger("d2b_luigi")

SHOWN_REJECTS = 5


class BadFile(ValueError):
    """A landing file that cannot be loaded at all; the message names the file."""


class TooManyRejects(ValueError):
    """More rows were rejected than ``max_reject_ratio`` allows; the rejects are kept, the load is not."""


class _NeedsValidation(Exception):
    pass


class CreateStagingTable(PipelineTask, luigi.WrapperTask):
    """``{id}_staging.<name>`` exists, partitioned by run date (the seed's creating_*_staging).

    The table comes from ``sql/migrations/``, so this is done when the schema is at the release's version.
    """

    name = luigi.ChoiceParameter(choices=SOURCES)

    def requires(self):
        return MigrateSchema()


def partition(settings, name: str, date) -> sql.Identifier:
    """The staging partition of one source and run date, e.g. ``d2b_staging.orders_20261125``."""
    return sql.Identifier(settings.staging_schema, f"{name}_{date:%Y%m%d}")


class LoadStaging(DatabaseStep):
    """Replace the date's rows of ``{id}_staging.<name>`` with the downloaded file (the seed's loading_*_staging)."""

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.{self.name}"

    @property
    def url(self) -> str:
        return self.settings.landing_file(self.date, self.name)

    def requires(self):
        needs = {"file": Download(date=self.date, name=self.name), "table": CreateStagingTable(name=self.name)}
        if self.name == "orders":
            needs["dimensions"] = Dimensions()  # order dates are checked against dim_dates
        if self.name == "shipment_deliveries":
            needs["orders"] = LoadStaging(date=self.date, name="orders")  # shipments must match an order
        return needs

    def after_failure(self, exc: Exception) -> None:
        self.input()["file"].remove()  # the next run downloads the file again, fixed or not

    def prepare(self) -> None:
        """Create the date's partition, in a short transaction of its own, unless it exists."""
        leaf = partition(self.settings, self.name, self.date)
        with warehouse.transaction(self.settings) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('d2b_luigi:ddl'))")
            cursor.execute("SELECT to_regclass(%s)", (leaf.as_string(cursor),))
            if cursor.fetchone()[0]:
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
        path = self.input()["file"].path
        size = os.path.getsize(path)
        with open(path, "rb") as raw:
            check_header(raw.readline(), COLUMNS[self.name], self.url)
            body_start = raw.tell()
            cursor.execute("SAVEPOINT fast_load")
            try:
                lines, loaded = self._fast_load(cursor, raw, size - body_start)
                rejects: list[tuple[int, str, str]] = []
            except (psycopg2.DataError, psycopg2.IntegrityError, _NeedsValidation) as exc:
                log.info("%s needs row-by-row validation: %s", self.url, str(exc).strip().splitlines()[0])
                cursor.execute("ROLLBACK TO SAVEPOINT fast_load")
                raw.seek(body_start)
                lines, loaded, rejects = self._validating_load(cursor, raw)
        self._replace_rejects(cursor, rejects)
        self._check_reject_ratio(cursor, rejects, lines)
        cursor.execute(
            warehouse.statement(self.settings, "load/record_load"),
            {
                "run_date": self.date,
                "source": self.name,
                "file_url": self.url,
                "bytes": size,
                "data_lines": lines,
                "rows_loaded": loaded,
                "rows_rejected": len(rejects),
            },
        )

    def _fast_load(self, cursor, raw, body_size: int) -> tuple[int, int]:
        """COPY the file as it is; raise when any row could need rejecting."""
        target = partition(self.settings, self.name, self.date)
        cursor.execute(sql.SQL("TRUNCATE {}").format(target))
        reader = warehouse.CountingReader(raw, Progress(self, body_size, "loaded"))
        loaded = warehouse.copy_in(cursor, target, COLUMNS[self.name], reader, freeze=True)
        cursor.execute(self._statement("load/analyze_partition"))
        cursor.execute(self._statement(f"rejects/detect_{self.name}"))
        if cursor.fetchone()[0]:
            raise _NeedsValidation("a key repeats or a reference is missing")
        return reader.lines, loaded

    def _validating_load(self, cursor, raw) -> tuple[int, int, list[tuple[int, str, str]]]:
        """Check every line; copy the good ones with their line numbers; return (lines, loaded, rejects)."""
        target = partition(self.settings, self.name, self.date)
        cursor.execute(sql.SQL("TRUNCATE {}").format(target))
        rejects: dict[int, tuple[str, str]] = {}
        lines = 0
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=self._tmp_dir()) as good:
            out = csv.writer(good, lineterminator="\n")
            try:
                for line_no, text, fields, reason in validation.scan(raw, validation.SCHEMAS[self.name]):
                    lines += 1
                    if reason:
                        rejects[line_no] = (text, reason)
                    else:
                        out.writerow([*fields, line_no])
            except validation.Undecodable as exc:
                raise BadFile(f"{self.url}: {exc}; nothing was loaded") from None
            good.seek(0)
            loaded = warehouse.copy_in(cursor, target, [*COLUMNS[self.name], "line_no"], good)
        cursor.execute(self._statement("load/analyze_partition"))
        cursor.execute(self._statement(f"rejects/{self.name}"))
        late = {line_no: reason for line_no, reason in cursor.fetchall() if line_no not in rejects}
        if late:
            cursor.execute(sql.SQL("DELETE FROM {} WHERE line_no = ANY(%s)").format(target), (sorted(late),))
            loaded -= cursor.rowcount
            raw.seek(0)
            for line_no, text in enumerate(raw, start=1):
                if line_no in late:
                    rejects[line_no] = (text.decode("utf-8").rstrip("\r\n"), late[line_no])
        return lines, loaded, [(n, text, reason) for n, (text, reason) in sorted(rejects.items())]

    def _statement(self, name: str) -> sql.Composed:
        return warehouse.statement(
            self.settings,
            name,
            partition=partition(self.settings, self.name, self.date),
            orders=partition(self.settings, "orders", self.date),
        )

    def _tmp_dir(self) -> str:
        folder = self.settings.download_dir(self.date)
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def _check_reject_ratio(self, cursor, rejects: list[tuple[int, str, str]], lines: int) -> None:
        """Too many rejects: empty the partition, keep the rejects (committed, under the step's lock), fail."""
        if not rejects or len(rejects) <= self.settings.max_reject_ratio * lines:
            return
        cursor.execute(sql.SQL("TRUNCATE {}").format(partition(self.settings, self.name, self.date)))
        shown = "; ".join(f"line {n}: {reason}" for n, _, reason in rejects[:SHOWN_REJECTS])
        more = f" and {len(rejects) - SHOWN_REJECTS} more" if len(rejects) > SHOWN_REJECTS else ""
        raise FailAfterCommit(
            TooManyRejects(
                f"{self.url}: {len(rejects)} of {lines} rows rejected, more than max_reject_ratio="
                f"{self.settings.max_reject_ratio} allows; nothing of this file was loaded. {shown}{more}. "
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


def check_header(line: bytes, expected: list[str], url: str) -> None:
    """Fail before touching the warehouse when the header row is not exactly ``expected``."""
    if not line:
        raise BadFile(f"{url}: the file is empty (expected a header row: {','.join(expected)})")
    try:
        found = next(csv.reader([line.decode("utf-8-sig").rstrip("\r\n")]))
    except UnicodeDecodeError as exc:
        raise BadFile(f"{url}: line 1, byte {exc.start + 1}: not UTF-8 ({exc.reason})") from None
    if [name.strip() for name in found] != expected:
        raise BadFile(f"{url}: line 1: expected header {','.join(expected)}, found {','.join(found)}")
