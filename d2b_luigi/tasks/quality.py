"""Data-quality checks: every ``sql/checks/*.sql`` returns its offending rows; none means pass."""

from __future__ import annotations

import itertools
import json
import logging

import luigi

from d2b_luigi import sqlfiles, warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.tasks.base import DatabaseStep, FailAfterCommit
from d2b_luigi.tasks.load import LoadStaging, partitions
from d2b_luigi.tasks.transform import Transform

log = logging.getLogger("d2b_luigi")
SAMPLE_ROWS = 5


class QualityCheckFailed(RuntimeError):
    pass


def check_header(name: str) -> tuple[str, str]:
    """The severity (``error`` or ``warn``) and description at the top of a check's SQL file: its first lines
    of comment, up to the first other line (later comments are notes on the SQL, not shown to users)."""
    lines = [
        line.removeprefix("--").strip()
        for line in itertools.takewhile(lambda line: line.startswith("--"), sqlfiles.text(name).splitlines())
    ]
    severity = lines[0].removeprefix("severity:").strip()
    if not lines[0].startswith("severity:") or severity not in ("error", "warn"):
        raise ValueError(f"sql/{name}.sql must start with '-- severity: error' or '-- severity: warn'")
    return severity, " ".join(lines[1:])


class QualityCheck(DatabaseStep):
    """Run every check for the date and store the results; an ``error`` check that fails stops the exports."""

    date = luigi.DateParameter()

    @property
    def target_table(self) -> str:
        return f"{self.settings.analytics_schema}.quality_results"

    def requires(self):
        return [
            *(Transform(date=self.date, table=table) for table in TABLES),
            *(LoadStaging(date=self.date, name=name) for name in SOURCES),
        ]

    def write(self, cursor) -> None:
        results = self.evaluate(cursor)
        for r in results:
            if not r["passed"]:
                log.warning(
                    "quality check %s (%s) failed for %s: %s", r["check_name"], r["severity"], self.date, r["sample"]
                )
        failed = [r for r in results if r["severity"] == "error" and not r["passed"]]
        if failed:
            names = "; ".join(f"{r['check_name']}: {r['failing_rows']} rows, e.g. {r['sample'][:2]}" for r in failed)
            # The results are committed either way, so the operator can read them; the marker only on success.
            raise FailAfterCommit(
                QualityCheckFailed(
                    f"{len(failed)} data-quality check(s) failed for {self.date} ({names}); "
                    f"all results are in {self.settings.analytics_schema}.quality_results"
                )
            )

    def evaluate(self, cursor) -> list[dict]:
        """Run every check and replace the date's stored results."""
        results = []
        staged = partitions(self.settings, self.date)  # {orders} …: the date's staging rows
        for name in sqlfiles.names("checks"):
            severity, description = check_header(name)
            check = warehouse.statement(self.settings, name, **staged)
            params = {"run_date": self.date, "sample_rows": SAMPLE_ROWS}
            cursor.execute(warehouse.statement(self.settings, "quality/count_check", check=check), params)
            (failing,) = cursor.fetchone()
            sample = []
            if failing:
                cursor.execute(warehouse.statement(self.settings, "quality/sample_check", check=check), params)
                (sample,) = cursor.fetchone()
            results.append(
                {
                    "check_name": name.removeprefix("checks/"),
                    "severity": severity,
                    "description": description,
                    "passed": failing == 0,
                    "failing_rows": failing,
                    "sample": sample,
                }
            )
        cursor.execute(
            warehouse.statement(self.settings, "quality/store_results"),
            {"run_date": self.date, "results": json.dumps(results)},
        )
        return results
