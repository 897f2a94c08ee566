"""Export each analytics row of the date to the lake as CSV."""

from __future__ import annotations

import luigi

from d2b_luigi import lake, warehouse
from d2b_luigi.catalog import TABLES
from d2b_luigi.faults import pause_point
from d2b_luigi.tasks.base import PipelineTask, Progress
from d2b_luigi.tasks.quality import QualityCheck


class Export(PipelineTask):
    """Write ``{export folder}/{table}.csv`` (header, ISO dates, true/false) in one atomic PUT or rename."""

    date = luigi.DateParameter()
    table = luigi.ChoiceParameter(choices=TABLES)

    def requires(self):
        return QualityCheck(date=self.date)

    @property
    def url(self) -> str:
        return self.settings.export_file(self.date, self.table)

    def output(self):
        return lake.target(self.settings, self.url)

    def run(self) -> None:
        with self.failure_shown(), lake.publish(self.settings, self.url, self.settings.download_dir(self.date)) as sink:
            self._write(sink)
        # reported once the file is in place (uploaded or renamed)
        Progress(self, self.bytes_exported, "exported")(self.bytes_exported, rows=self.rows_exported)

    def _write(self, sink) -> None:
        connection = warehouse.shared_connection(self.settings.dsn)
        with connection.cursor() as cursor:
            warehouse.copy_out(
                cursor, warehouse.statement(self.settings, f"export/{self.table}"), {"run_date": self.date}, sink
            )
        self.rows_exported = cursor.rowcount
        self.bytes_exported = sink.tell()
        pause_point("Export")  # written, not yet published

    def row_counts(self, cursor) -> dict[str, int]:
        return {"rows_exported": self.rows_exported}
