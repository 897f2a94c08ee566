"""Export each analytics row of the date to the lake as CSV."""

from __future__ import annotations

import luigi

from d2b_luigi import lake, warehouse
from d2b_luigi.tasks.base import PipelineTask, Progress
from d2b_luigi.tasks.quality import QualityCheck
from d2b_luigi.tasks.transform import TABLES


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
        connection = warehouse.shared_connection(self.settings.dsn)
        with connection.cursor() as cursor, self.output().open("w") as sink:
            query = warehouse.statement(self.settings, f"export/{self.table}")
            warehouse.copy_out(cursor, query, {"run_date": self.date}, sink)
            self.rows_exported = cursor.rowcount
            written = sink.tell()
        # reported once the file is in place (uploaded or renamed)
        Progress(self, written, "exported")(written, rows=self.rows_exported)

    def row_counts(self, cursor) -> dict[str, int]:
        return {"rows_exported": self.rows_exported}
