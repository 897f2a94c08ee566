"""Compute each date's row with the SQL in ``sql/transform/``."""

from __future__ import annotations

import luigi
from psycopg2 import sql

from d2b_luigi import warehouse
from d2b_luigi.catalog import TABLES
from d2b_luigi.tasks.base import DatabaseStep, PipelineTask
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.load import LoadStaging, partitions
from d2b_luigi.tasks.schema import MigrateSchema

AUDIT = "audit_"  # a transform's column that counts the rows breaking a check (Transform.write)


class CreateAnalyticsTable(PipelineTask, luigi.WrapperTask):
    """``{id}_analytics.<table>`` and its unpublished twin ``{id}_staging.<table>`` exist (creating_agg_*).

    The table comes from ``sql/migrations/``, so this is done when the schema is at the release's version.
    """

    table = luigi.ChoiceParameter(choices=TABLES)

    def requires(self):
        return MigrateSchema()


class Transform(DatabaseStep):
    """Replace the date's row of ``{id}_staging.<table>``, not yet published (the seed's loading_agg_*).

    The row waits there for the data-quality checks; ``Publish`` then moves it into ``{id}_analytics``.
    """

    date = luigi.DateParameter()
    table = luigi.ChoiceParameter(choices=TABLES)

    @property
    def target_table(self) -> str:
        return f"{self.settings.staging_schema}.{self.table}"

    @property
    def sources(self) -> tuple[str, ...]:
        return TABLES[self.table]  # the staging tables its SQL reads

    def requires(self):
        return [
            CreateAnalyticsTable(table=self.table),
            Dimensions(),
            *(LoadStaging(date=self.date, name=name) for name in TABLES[self.table]),
        ]

    def write(self, cursor) -> None:
        """The transform's SELECT, then its row inserted: an ``INSERT … SELECT`` would get no parallel workers.

        A column ``audit_<check>`` of the SELECT is not the table's: it is how many rows break that data-quality
        check, counted in the transform's own pass, and goes to ``{staging}.audit_counts`` (the check then does
        not read those rows again when it is 0)."""
        table = sql.Identifier(self.settings.staging_schema, self.table)
        params = {"run_date": self.date}
        cursor.execute(warehouse.statement(self.settings, "staged/delete_date", table=table), params)
        cursor.execute(
            warehouse.statement(self.settings, f"transform/{self.table}", **partitions(self.settings, self.date)),
            params,
        )
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()  # one, or none (no best product without reviews)
        kept = [i for i, name in enumerate(names) if not name.startswith(AUDIT)]
        insert = warehouse.statement(
            self.settings,
            "staged/insert_row",
            table=table,
            columns=sql.SQL(", ").join(sql.Identifier(names[i]) for i in kept),
            values=sql.SQL(", ").join([sql.Placeholder()] * len(kept)),
        )
        for row in rows:
            cursor.execute(insert, [row[i] for i in kept])
        audit_count = warehouse.statement(self.settings, "staged/audit_count")
        for i in sorted(set(range(len(names))) - set(kept)):
            failing = rows[0][i] if rows else None
            check = names[i].removeprefix(AUDIT)
            cursor.execute(audit_count, {"run_date": self.date, "check_name": check, "failing_rows": failing})
        # The date's audit was of the rows just replaced: the checks must look at these before any publish.
        from d2b_luigi.tasks.quality import QualityCheck  # it requires this module

        warehouse.remove_markers(cursor, self.settings, [QualityCheck(date=self.date).update_id])
