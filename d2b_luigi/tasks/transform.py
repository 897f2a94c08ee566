"""Compute each date's row with the SQL in ``sql/transform/``."""

from __future__ import annotations

import luigi
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.tasks.base import DatabaseStep, PipelineTask
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.load import LoadStaging, partition
from d2b_luigi.tasks.schema import MigrateSchema


class CreateAnalyticsTable(PipelineTask, luigi.WrapperTask):
    """``{id}_analytics.<table>`` exists (the seed's creating_agg_*).

    The table comes from ``sql/migrations/``, so this is done when the schema is at the release's version.
    """

    table = luigi.ChoiceParameter(choices=TABLES)

    def requires(self):
        return MigrateSchema()


class Transform(DatabaseStep):
    """Replace the date's row of ``{id}_analytics.<table>`` (the seed's loading_agg_*)."""

    date = luigi.DateParameter()
    table = luigi.ChoiceParameter(choices=TABLES)

    @property
    def target_table(self) -> str:
        return f"{self.settings.analytics_schema}.{self.table}"

    def requires(self):
        return [
            CreateAnalyticsTable(table=self.table),
            Dimensions(),
            *(LoadStaging(date=self.date, name=name) for name in TABLES[self.table]),
        ]

    def write(self, cursor) -> None:
        cursor.execute(
            sql.SQL("DELETE FROM {} WHERE ingestion_date = %s").format(
                sql.Identifier(self.settings.analytics_schema, self.table)
            ),
            (self.date,),
        )
        # The date's partitions by name: their own statistics then guide the joins (the parent has none).
        partitions = {name: partition(self.settings, name, self.date) for name in SOURCES}
        cursor.execute(
            warehouse.statement(self.settings, f"transform/{self.table}", **partitions), {"run_date": self.date}
        )
