"""Make sure the dimension tables the analytics read exist; seed them only when told to."""

from __future__ import annotations

import io

from psycopg2 import sql

from d2b_luigi import lake, warehouse
from d2b_luigi.config import join_url
from d2b_luigi.tasks.base import PipelineTask

REQUIRED = ("dim_dates", "dim_products")
SEEDABLE = ("dim_dates", "dim_products", "dim_customers", "dim_addresses")


class MissingDimension(RuntimeError):
    pass


class Dimensions(PipelineTask):
    """The ``if_common`` dimension tables exist. Read-only unless seeding is on (the embedded default)."""

    holds_warehouse = True

    def output(self):
        return [warehouse.TableTarget(self.settings, self.settings.common_schema, t) for t in REQUIRED]

    def run(self) -> None:
        missing = [t.table for t in self.output() if not t.exists()]
        if not self.settings.seed_dimensions:
            names = ", ".join(f"{self.settings.common_schema}.{t}" for t in missing)
            raise MissingDimension(
                f"dimension table(s) missing: {names}. Create them, or set D2B_SEED_DIMENSIONS=true to seed them "
                f"from the CSVs in {self.settings.dimensions_url}"
            )
        with warehouse.transaction(self.settings) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('d2b_luigi:dimensions'))")
            for table in SEEDABLE:
                cursor.execute("SELECT to_regclass(%s)", (f'"{self.settings.common_schema}"."{table}"',))
                if cursor.fetchone()[0]:
                    continue  # an existing table is never written
                cursor.execute(warehouse.statement(self.settings, f"ddl/dim/{table}"))
                self._seed(cursor, table)

    def _seed(self, cursor, table: str) -> None:
        source = lake.target(self.settings, join_url(self.settings.dimensions_url, f"{table}.csv"))
        copy = sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv, HEADER true)").format(
            sql.Identifier(self.settings.common_schema, table)
        )
        if source.exists():
            with source.open("r") as stream:
                cursor.copy_expert(copy, stream, size=warehouse.COPY_CHUNK)
        elif table == "dim_dates":
            # imported here, so `python -m d2b_luigi.generate` does not import its own module twice
            from d2b_luigi.generate import dim_dates_csv

            cursor.copy_expert(copy, io.StringIO(dim_dates_csv(self.settings.holidays)))
        elif table in REQUIRED:
            raise MissingDimension(f"cannot seed {self.settings.common_schema}.{table}: {source.path} does not exist")
