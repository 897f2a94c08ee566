"""Remove what the date no longer needs: its downloads and its staging rows."""

from __future__ import annotations

import logging
import shutil

import luigi
import psycopg2.errors
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.tasks.base import DatabaseStep
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.load import LoadStaging, partition

log = logging.getLogger("d2b_luigi")


class CleanUp(DatabaseStep):
    """After the exports: delete the date's local files and drop its staging partitions.

    The staging loads' markers go in the same transaction as their rows, so a step rerun by hand later
    (a forced Transform, say) downloads and loads again what it needs. Done while nothing is left to
    remove: a step rerun by hand after the clean-up that loaded or downloaded again makes the next
    ``RunAll`` clean up again.
    """

    date = luigi.DateParameter()

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.*"

    def requires(self):
        return [Export(date=self.date, table=table) for table in TABLES]

    def complete(self) -> bool:
        found = warehouse.existing_markers(self.settings, [self.update_id, *self._load_ids()])
        return found == {self.update_id} and not self._downloads()

    def _downloads(self) -> list:
        folder = self.settings.download_dir(self.date)
        return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []

    def _load_ids(self) -> list[str]:
        return [LoadStaging(date=self.date, name=name).update_id for name in SOURCES]

    def prepare(self) -> None:
        if self.output().exists():  # yet not complete: loaded again since that clean-up, so it no longer holds
            with warehouse.transaction(self.settings) as cursor:
                warehouse.remove_markers(cursor, self.settings, [self.update_id])

    def write(self, cursor) -> None:
        for name in SOURCES:
            leaf = partition(self.settings, name, self.date)
            cursor.execute("SELECT to_regclass(%s)", (leaf.as_string(cursor),))
            if cursor.fetchone()[0]:  # gone when an earlier clean-up of the date dropped it
                cursor.execute(sql.SQL("TRUNCATE {}").format(leaf))
        warehouse.remove_markers(cursor, self.settings, self._load_ids())

    def after_commit(self) -> None:
        """Delete the date's downloads; drop its emptied partitions if that can be done at once.

        Killed before the downloads are gone, the step is not complete (see ``complete``) and runs again.
        Dropping a partition must lock the parent table against every other date's load; rather than wait
        for them, an empty partition is left in place when they are busy (harmless; a rerun reuses it).
        """
        shutil.rmtree(self.settings.download_dir(self.date), ignore_errors=True)  # temp files of killed runs too
        for name in SOURCES:
            try:
                with warehouse.transaction(self.settings) as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(partition(self.settings, name, self.date)))
            except psycopg2.errors.LockNotAvailable as exc:
                log.info("left the empty partition of %s for %s (%s)", name, self.date, type(exc).__name__)
