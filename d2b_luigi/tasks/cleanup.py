"""Remove what the date no longer needs: its downloads and its staging rows."""

from __future__ import annotations

import shutil

import luigi
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import DatabaseStep
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.extract import SOURCES
from d2b_luigi.tasks.load import LoadStaging
from d2b_luigi.tasks.transform import TABLES


class CleanUp(DatabaseStep):
    """After the exports: delete the date's local files and staging rows.

    The staging loads' markers go in the same transaction as their rows, so a step rerun by hand later
    (a forced Transform, say) downloads and loads again what it needs.
    """

    date = luigi.DateParameter()

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.*"

    def requires(self):
        return [Export(date=self.date, table=table) for table in TABLES]

    def run(self) -> None:
        shutil.rmtree(self.settings.download_dir(self.date), ignore_errors=True)  # temp files of killed runs too
        super().run()

    def write(self, cursor) -> None:
        for name in SOURCES:
            warehouse.delete_date(cursor, sql.Identifier(self.settings.staging_schema, name), self.date)
        warehouse.remove_markers(
            cursor, self.settings, [LoadStaging(date=self.date, name=name).update_id for name in SOURCES]
        )
