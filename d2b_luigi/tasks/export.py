"""Export each published analytics row of the date to the lake as CSV."""

from __future__ import annotations

import luigi

from d2b_luigi import inputs, lake, warehouse
from d2b_luigi.catalog import TABLES
from d2b_luigi.tasks.base import DatabaseStep, Progress
from d2b_luigi.tasks.publish import Publish


class Export(DatabaseStep):
    """Write ``{export folder}/{table}.csv`` (header, ISO dates, true/false) in one atomic PUT or rename.

    Done when the file is in the lake *and* this warehouse's marker says it was written from the rows
    published here: a fresh or restored warehouse pointed at a lake that already holds the file redoes
    the date and rewrites it. The file is published inside the step's transaction, before the marker.
    """

    date = luigi.DateParameter()
    table = luigi.ChoiceParameter(choices=TABLES)

    @property
    def target_table(self) -> str:
        return self.url

    def requires(self):
        return Publish(date=self.date)

    @property
    def url(self) -> str:
        return self.settings.export_file(self.date, self.table)

    def output(self):
        return [lake.target(self.settings, self.url), super().output()]

    def complete_in(self, state: inputs.DateState) -> bool:
        return super().complete_in(state) and self.output()[0].exists()

    def prepare(self) -> None:
        """A marker whose file is gone (deleted from the lake by hand) no longer vouches for it."""
        file, marker = self.output()
        if marker.exists() and not file.exists():
            with warehouse.transaction(self.settings) as cursor:
                warehouse.remove_markers(cursor, self.settings, [self.update_id])

    def write(self, cursor) -> None:
        with lake.publish(self.settings, self.url, self.settings.download_dir(self.date)) as sink:
            warehouse.copy_out(
                cursor, warehouse.statement(self.settings, f"export/{self.table}"), {"run_date": self.date}, sink
            )
            self.rows_exported = cursor.rowcount
            self.bytes_exported = sink.tell()
        # reported once the file is in place (uploaded or renamed)
        Progress(self, self.bytes_exported, "exported").finish(self.bytes_exported, rows=self.rows_exported)

    def row_counts(self, cursor) -> dict[str, int]:
        return {"rows_exported": getattr(self, "rows_exported", None)}
