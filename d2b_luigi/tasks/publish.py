"""Publish the date's audited rows: the only way rows reach ``{id}_analytics`` (write, audit, publish)."""

from __future__ import annotations

import contextlib

import luigi
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.catalog import TABLES
from d2b_luigi.tasks.base import DatabaseStep
from d2b_luigi.tasks.quality import QualityCheck


class Publish(DatabaseStep):
    """Replace the date's rows of every ``{id}_analytics`` table with the rows the checks passed.

    Runs only after ``QualityCheck`` succeeded, so a date whose checks fail keeps its previous published
    rows (or none). Rows and marker commit together; the date's export markers go in the same transaction,
    since the exports were written from the rows replaced here, and their files right after it.
    """

    date = luigi.DateParameter()

    @property
    def target_table(self) -> str:
        return f"{self.settings.analytics_schema}.*"

    def requires(self):
        return QualityCheck(date=self.date)

    def write(self, cursor) -> None:
        from d2b_luigi.tasks.export import Export  # it requires this module

        for table in TABLES:
            cursor.execute(
                warehouse.statement(
                    self.settings,
                    "publish/table",
                    published=sql.Identifier(self.settings.analytics_schema, table),
                    audited=sql.Identifier(self.settings.staging_schema, table),
                ),
                {"run_date": self.date},
            )
        warehouse.remove_markers(
            cursor, self.settings, [Export(date=self.date, table=table).update_id for table in TABLES]
        )

    def after_commit(self) -> None:
        """Remove each export of the date not written again since the commit (no marker): it holds the rows
        replaced here, and the lake must never offer rows that are not the published ones. Its ``Export``
        writes it again from the new rows (at once, when RunAll runs this)."""
        from d2b_luigi.tasks.export import Export

        exports = [Export(date=self.date, table=table) for table in TABLES]
        written = warehouse.existing_markers(self.settings, [export.update_id for export in exports])
        for export in exports:
            file = export.output()[0]
            if export.update_id not in written and file.exists():
                with contextlib.suppress(FileNotFoundError):  # a concurrent run removed it first
                    file.fs.remove(file.path)
