"""Remove what the date no longer needs: its downloads and its staging rows."""

from __future__ import annotations

import contextlib
import logging
import shutil

import luigi
import psycopg2.errors
from psycopg2 import sql

from d2b_luigi import inputs, lake, warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.tasks.base import DatabaseStep
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.load import DDL_LOCK, LoadStaging, exists, partition

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

    def marker_ids(self) -> list[str]:
        return [self.update_id, *self._load_ids()]

    def complete_in(self, state) -> bool:
        """Its marker and no load's, no download left, and the landing files are the ones its loads read."""
        found = state.markers.intersection(self.marker_ids())
        return found == {self.update_id} and not self._downloads() and not state.changed(self.sources)

    def _downloads(self) -> list:
        """The date's local files, but for the temporary files of live processes (a concurrent run's)."""
        folder = self.settings.download_dir(self.date)
        if not folder.exists():
            return []
        return [path for path in folder.rglob("*") if path.is_file() and not lake.in_use(path)]

    def _load_ids(self) -> list[str]:
        return [LoadStaging(date=self.date, name=name).update_id for name in SOURCES]

    def outdated(self) -> bool:
        """Also when the date was loaded again since the clean-up (by hand, or by a concurrent run). Only downloads
        left (killed before ``after_commit``)? The marker holds: the lifecycle runs ``after_commit`` when it finds
        the marker, and a concurrent run that committed a moment ago keeps it."""
        state = inputs.DateState(self.settings, self.date, self._load_ids())
        return bool(state.markers) or state.changed(self.sources)

    def write(self, cursor) -> None:
        cursor.execute(DDL_LOCK)  # a concurrent clean-up of the date may be dropping the partitions
        for name in SOURCES:
            leaf = partition(self.settings, name, self.date)
            if exists(cursor, leaf):  # gone when an earlier clean-up of the date dropped it
                cursor.execute(sql.SQL("TRUNCATE {}").format(leaf))
        warehouse.remove_markers(cursor, self.settings, self._load_ids())

    def after_commit(self) -> None:
        """Delete the date's downloads; drop its emptied partitions if that can be done at once.

        Killed before the downloads are gone, the step is not complete (see ``complete``) and runs again.
        Dropping a partition must lock the parent table against every other date's load; rather than wait
        for them, an empty partition is left in place when they are busy (harmless; a rerun reuses it).
        A partition is dropped only under its load's step lock and while that load has no marker: a
        concurrent run that loaded the date again after this clean-up keeps its rows.
        """
        folder = self.settings.download_dir(self.date)
        try:
            paths = sorted(folder.iterdir())  # temp files of killed runs too
        except FileNotFoundError:  # never made, or a concurrent clean-up removed it
            paths = []
        for path in paths:
            if lake.in_use(path):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # unless a live process is still writing in it
        for name in SOURCES:
            try:
                with warehouse.transaction(self.settings) as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                    if warehouse.claim(cursor, self.settings, LoadStaging(date=self.date, name=name).update_id):
                        cursor.execute(DDL_LOCK)  # after the step's lock, in the order its load takes them
                        leaf = partition(self.settings, name, self.date)
                        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(leaf))
            except psycopg2.errors.LockNotAvailable as exc:
                log.info("left the empty partition of %s for %s (%s)", name, self.date, type(exc).__name__)
