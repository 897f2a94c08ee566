"""The entry point cron runs: everything for one date."""

from __future__ import annotations

import luigi
import luigi.task

from d2b_luigi.tasks.cleanup import CleanUp
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.transform import TABLES


class RunAll(luigi.task.MixinNaiveBulkComplete, luigi.WrapperTask):
    """The whole pipeline for ``--date``: done when the exports are written and the date is cleaned up."""

    date = luigi.DateParameter()

    def requires(self):
        return [*(Export(date=self.date, table=table) for table in TABLES), CleanUp(date=self.date)]
