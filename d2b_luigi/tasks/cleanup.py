"""Remove what the date no longer needs: its downloads and its staging rows."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import os
import shutil
from pathlib import Path

import luigi
import psycopg2.errors
from psycopg2 import sql

from d2b_luigi import inputs, lake, warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.config import ConfigError, Settings, settings
from d2b_luigi.tasks.base import DatabaseStep
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.load import DDL_LOCK, LoadStaging, exists, partition

log = logging.getLogger("d2b_luigi")


class CleanUp(DatabaseStep):
    """After the exports: delete the date's local files and drop its staging partitions.

    The staging loads' markers go in the same transaction as their rows, so a step rerun by hand later
    (a forced Transform, say) downloads and loads again what it needs. Done while its marker is there and
    no load marker: a step rerun by hand after the clean-up that loaded again makes the next ``RunAll``
    clean up again. Whether it is done depends on the warehouse only, never on one host's files: any host
    may ask (``RunAll`` runs on any of them). The downloads of a cleaned-up date that are left on a host (it
    downloaded, another host cleaned up; or a kill before ``after_commit``) go with that host's next
    clean-up or at the end of its next ``luigi`` command (:func:`sweep`).
    """

    date = luigi.DateParameter()

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.*"

    def requires(self):
        return [Export(date=self.date, table=table) for table in TABLES]

    def marker_ids(self) -> list[str]:
        return [self.update_id, *self._load_ids()]

    def complete_in(self, state: inputs.DateState) -> bool:
        """Its marker and no load's, and the landing files are the ones its loads read."""
        found = state.markers.intersection(self.marker_ids())
        return found == {self.update_id} and not state.changed(self.sources)

    def _load_ids(self) -> list[str]:
        return load_ids(self.date)

    def outdated(self) -> bool:
        """Also when the date was loaded again since the clean-up (by hand, or by a concurrent run). Read under the
        step's lock: a concurrent run that committed its clean-up a moment ago keeps its marker."""
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

        Killed before the downloads are gone, they go with the next sweep (:func:`sweep`).
        Dropping a partition must lock the parent table against every other date's load; rather than wait
        for them, an empty partition is left in place when they are busy (harmless; a rerun reuses it).
        A partition is dropped only under its load's step lock and while that load has no marker: a
        concurrent run that loaded the date again after this clean-up keeps its rows.
        """
        remove_downloads(self.settings.download_dir(self.date))
        sweep(self.settings)  # and this host's downloads of dates other hosts cleaned up
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


def load_ids(date: dt.date) -> list[str]:
    return [LoadStaging(date=date, name=name).update_id for name in SOURCES]


def remove_downloads(folder: Path) -> None:
    """Delete a date's folder of downloads, but for the temporary files of live processes (a concurrent run's)."""
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


def sweep(settings: Settings) -> None:
    """Delete this host's downloads of every date whose clean-up is done (on any host): no load has loaded
    again since, and no landing file changed (a date being redone needs its new downloads). A host keeps a
    download only while its date may still need it. One query per date folder."""
    root = settings.downloads_root
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            date = dt.date.fromisoformat(folder.name)
        except ValueError:
            continue  # not a date's folder
        cleanup = CleanUp(date=date)
        if cleanup.complete_in(inputs.DateState(settings, date, cleanup.marker_ids())):
            remove_downloads(folder)


def sweep_at_exit() -> None:
    """At the end of this ``luigi`` command, :func:`sweep` this host's downloads: with several hosts on one
    luigid, this host may have downloaded files of a date that another host then cleaned up."""
    pid = os.getpid()

    def run() -> None:
        if os.getpid() != pid:
            return
        try:
            sweep(settings())
        except (ConfigError, warehouse.WarehouseUnreachable, psycopg2.Error, OSError, lake.LakeUnreachable) as exc:
            # the run itself reports an unusable setting, warehouse or lake
            log.debug("left this host's downloads of cleaned-up dates for the next run: %s", exc)

    atexit.register(run)
