"""Wait for the day's files in the lake and download them to the work dir."""

from __future__ import annotations

import logging
import math
import os

import luigi
from botocore.exceptions import BotoCoreError, ClientError

from d2b_luigi import lake
from d2b_luigi.catalog import SOURCES
from d2b_luigi.config import d2b
from d2b_luigi.tasks.base import PipelineTask, Progress

log = logging.getLogger("d2b_luigi")


class LakeUnreachable(RuntimeError):
    pass


class LandingFile(luigi.ExternalTask, PipelineTask):
    """A file the lake receives every day (the seed's file sensor). Done when it exists; never waits.

    With ``landing_checks`` > 1, luigi itself looks again (:func:`wait_for_late_files`): the run goes on
    with whatever else it can do meanwhile and gives up after ``landing_checks`` looks.
    """

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def url(self) -> str:
        return self.settings.landing_file(self.date, self.name)

    def output(self):
        return lake.target(self.settings, self.url)

    def complete(self) -> bool:
        if self._exists():
            return True
        log.warning("landing file missing: %s", self.url)
        return False

    def _exists(self) -> bool:
        try:
            return self.output().exists()
        except (BotoCoreError, ClientError) as exc:
            raise LakeUnreachable(f"cannot reach the lake to look for {self.url}: {exc}") from None


class Download(PipelineTask):
    """Copy one landing file to ``{work_dir}/download/{id}/{date}/{name}.csv``, atomically."""

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    def requires(self):
        return LandingFile(date=self.date, name=self.name)

    def output(self):
        return luigi.LocalTarget(str(self.settings.download_file(self.date, self.name)), format=luigi.format.Nop)

    def run(self) -> None:
        url = self.input().path
        progress = Progress(self, lake.size(self.settings, url), "downloaded")
        final = self.output().path
        tmp = f"{final}.part-{os.getpid()}"
        lake.fetch(self.settings, url, tmp, progress)
        # os.replace, not luigi's rename_dont_move: a concurrent run may have put the same file there already.
        os.replace(tmp, final)


def wait_for_late_files() -> None:
    """With ``D2B_LANDING_CHECKS`` > 1, switch on luigi's own retry of missing external data.

    Luigi then looks for a missing landing file again every ``D2B_LANDING_CHECK_INTERVAL`` seconds
    (``[scheduler] retry_delay``), ``D2B_LANDING_CHECKS`` times in all (``PipelineTask.retry_count``, which
    bounds the retries of any other failed task the same way), while the worker stays alive (``[worker]
    keep_alive``) and runs whatever else it can; an idle worker ends after one more interval
    (``max_keep_alive_idle_duration``), so the wait is bounded. Settings given in luigi.cfg win.
    Called when luigi imports the module, before it creates its worker and scheduler; with luigid, luigid's
    own ``retry_delay`` sets the interval.
    """
    cfg = d2b()
    if cfg.landing_checks <= 1:
        return
    idle = math.ceil(cfg.landing_check_interval) + 10  # one interval, plus luigi's polling and its jitter
    config = luigi.configuration.get_config()
    for section, key, value in (
        ("worker", "retry_external_tasks", "true"),
        ("worker", "keep_alive", "true"),
        ("worker", "max_keep_alive_idle_duration", f"{idle} seconds"),
        ("worker", "wait_interval", str(min(1.0, cfg.landing_check_interval))),
        ("worker", "wait_jitter", str(min(5.0, cfg.landing_check_interval))),
        ("scheduler", "retry_delay", str(cfg.landing_check_interval)),
    ):
        if not config.has_section(section):
            config.add_section(section)
        if not config.has_option(section, key):
            config.set(section, key, value)
