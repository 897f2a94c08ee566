"""Wait for the day's files in the lake and download them to the work dir."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import luigi
from botocore.exceptions import BotoCoreError, ClientError

from d2b_luigi import lake
from d2b_luigi.catalog import SOURCES
from d2b_luigi.tasks.base import PipelineTask, Progress

log = logging.getLogger("d2b_luigi")


class LakeUnreachable(RuntimeError):
    pass


class LandingFile(luigi.ExternalTask, PipelineTask):
    """A file the lake receives every day (the seed's file sensor). Done when it exists.

    With ``landing_checks`` > 1 it looks again every ``landing_check_interval`` seconds before giving
    up: a bounded wait for a late file. Luigi then ends the run with its missing-data exit code.
    """

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def url(self) -> str:
        """``{name}.csv``, or ``{name}.csv.gz`` when only that one has landed (looked up once if not yet)."""
        if getattr(self, "_url", None) is None:
            self._exists()
        return self._url

    def output(self):
        return lake.target(self.settings, self.url)

    def complete(self) -> bool:
        checks = 1 if getattr(self, "_gave_up", False) else self.settings.landing_checks
        for check in range(1, checks + 1):
            if self._exists():
                return True
            if check < checks:
                log.info("waiting for %s (%d of %d looks)", self.url, check, checks)
                time.sleep(self.settings.landing_check_interval)
        self._gave_up = True
        log.warning("landing file missing: %s (looked %d time%s)", self.url, checks, "" if checks == 1 else "s")
        return False

    def _exists(self) -> bool:
        plain = self.settings.landing_file(self.date, self.name)
        self._url = plain
        try:
            for url in (plain, plain + ".gz"):
                if lake.target(self.settings, url).exists():
                    self._url = url
                    return True
        except (BotoCoreError, ClientError) as exc:
            raise LakeUnreachable(f"cannot reach the lake to look for {plain}: {exc}") from None
        return False


class Download(PipelineTask):
    """Copy one landing file to ``{work_dir}/download/{id}/{date}/{name}.csv``, atomically."""

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    def requires(self):
        return LandingFile(date=self.date, name=self.name)

    def output(self):
        return luigi.LocalTarget(str(self.settings.download_file(self.date, self.name)), format=luigi.format.Nop)

    def run(self) -> None:
        with self.failure_shown():
            url = self.input().path
            progress = Progress(self, lake.size(self.settings, url), "downloaded")
            final = self.output().path
            tmp = f"{final}.part-{os.getpid()}"
            lake.fetch(self.settings, url, tmp, progress)
            # os.replace, not luigi's rename_dont_move: a concurrent run may have put the same file there already.
            os.replace(tmp, final)

    def drop(self) -> None:
        """Remove the download (if any), so the next run fetches the file again."""
        Path(self.output().path).unlink(missing_ok=True)
