"""Create the staging tables and stream each day's CSV into them with COPY."""

from __future__ import annotations

import csv
import os

import luigi
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import DatabaseStep, PipelineTask, Progress
from d2b_luigi.tasks.extract import SOURCES, Download

COLUMNS = {
    "orders": ["order_id", "customer_id", "order_date", "product_id", "unit_price", "quantity", "total_price"],
    "reviews": ["review", "product_id"],
    "shipment_deliveries": ["shipment_id", "order_id", "shipment_date", "delivery_date"],
}


class BadFile(ValueError):
    """A landing file that cannot be loaded at all; the message names the file."""


class CreateStagingTable(PipelineTask):
    """``{id}_staging.<name>`` exists (the seed's creating_*_staging)."""

    name = luigi.ChoiceParameter(choices=SOURCES)

    def output(self):
        return warehouse.TableTarget(self.settings, self.settings.staging_schema, self.name)

    def run(self) -> None:
        with warehouse.transaction(self.settings) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('d2b_luigi:ddl'))")
            cursor.execute(warehouse.statement(self.settings, f"ddl/staging_{self.name}"))


class LoadStaging(DatabaseStep):
    """Replace the date's rows of ``{id}_staging.<name>`` with the downloaded file (the seed's loading_*_staging)."""

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.{self.name}"

    def requires(self):
        return {"file": Download(date=self.date, name=self.name), "table": CreateStagingTable(name=self.name)}

    def write(self, cursor) -> None:
        table = sql.Identifier(self.settings.staging_schema, self.name)
        cursor.execute("SELECT set_config('d2b.run_date', %s, true)", (self.date.isoformat(),))
        cursor.execute(sql.SQL("DELETE FROM {} WHERE ingestion_date = %s").format(table), (self.date,))
        path = self.input()["file"].path
        url = self.settings.landing_file(self.date, self.name)
        with open(path, "rb") as raw:
            check_header(raw.readline(), COLUMNS[self.name], url)
            reader = warehouse.CountingReader(raw, Progress(self, os.path.getsize(path), "loaded"))
            loaded = warehouse.copy_in(cursor, table, COLUMNS[self.name], reader)
        cursor.execute(sql.SQL("ANALYZE {}").format(table))  # fresh statistics, or the transforms' plans go wrong
        cursor.execute(
            warehouse.statement(self.settings, "load/record_load"),
            {
                "run_date": self.date,
                "source": self.name,
                "file_url": url,
                "bytes": os.path.getsize(path),
                "data_lines": reader.lines,
                "rows_loaded": loaded,
                "rows_rejected": 0,
            },
        )


def check_header(line: bytes, expected: list[str], url: str) -> None:
    """Fail before touching the warehouse when the header row is not exactly ``expected``."""
    if not line:
        raise BadFile(f"{url}: the file is empty (expected a header row: {','.join(expected)})")
    try:
        found = next(csv.reader([line.decode("utf-8-sig").rstrip("\r\n")]))
    except UnicodeDecodeError as exc:
        raise BadFile(f"{url}: line 1 is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if [name.strip() for name in found] != expected:
        raise BadFile(f"{url}: line 1: expected header {','.join(expected)}, found {','.join(found)}")
