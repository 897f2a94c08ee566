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
    since the exports were written from the rows replaced here, and their files too.
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
        exports = [Export(date=self.date, table=table) for table in TABLES]
        warehouse.remove_markers(cursor, self.settings, [export.update_id for export in exports])
        # Their files hold the rows replaced here: gone before the commit, the lake never offers rows that are not
        # the published ones (rolled back, each Export finds its marker without its file and writes it again).
        for file in (export.output()[0] for export in exports):
            with contextlib.suppress(FileNotFoundError):  # never written, or a concurrent run removed it first
                if file.exists():
                    file.fs.remove(file.path)
