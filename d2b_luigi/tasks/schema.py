"""The warehouse's schema: the id's schemas at this release's version (``sql/migrations/``)."""

from __future__ import annotations

from d2b_luigi import warehouse
from d2b_luigi.tasks.base import PipelineTask


class MigrateSchema(PipelineTask):
    """``{id}_staging`` and ``{id}_analytics`` are at this release's schema version: apply what is pending.

    Refuses (in its completeness check already) when the warehouse was migrated by a newer release.
    """

    holds_warehouse = True

    def output(self) -> warehouse.SchemaTarget:
        return warehouse.SchemaTarget(self.settings)

    def run(self) -> None:
        warehouse.ensure_schema(self.settings)
