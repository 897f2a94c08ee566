"""Wait for the day's files in the lake and download them to the work dir."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import luigi
from botocore.exceptions import BotoCoreError, ClientError

from d2b_luigi import lake
from d2b_luigi.catalog import SOURCES
from d2b_luigi.config import ConfigError, resolve
from d2b_luigi.lake import LakeUnreachable
from d2b_luigi.tasks.base import PipelineTask, Progress

log = logging.getLogger("d2b_luigi")


class LandingFile(luigi.ExternalTask, PipelineTask):
    """A file the lake receives every day (the seed's file sensor). Done when it exists; never waits.

    With ``landing_checks`` > 1, luigi itself looks again (:func:`wait_for_late_files`): the run goes on
    with whatever else it can do meanwhile and gives up after ``landing_checks`` looks.
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
        if self._exists():
            return True
        log.warning("landing file missing: %s", self.url)
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
    """Copy one landing file to ``{work_dir}/download/{id}/{date}/{name}.csv``, atomically.

    Beside it, ``{name}.csv.source`` holds the landing file's fingerprint (:func:`lake.fingerprint`) taken
    before the copy: the download counts only while the lake's file still has it. A file fixed in the lake
    after a run was killed (so no failure hook dropped the download) is fetched again.
    """

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    def requires(self):
        return LandingFile(date=self.date, name=self.name)

    def output(self):
        return luigi.LocalTarget(str(self.settings.download_file(self.date, self.name)), format=luigi.format.Nop)

    @property
    def sidecar(self) -> Path:
        return Path(f"{self.output().path}.source")

    def complete(self) -> bool:
        """The download exists and is a copy of the landing file as it is in the lake now."""
        return self.source() is not None

    def source(self) -> str | None:
        """The fingerprint of the landing file the download is a copy of, while the lake still holds that file."""
        if not self.output().exists() or not self.sidecar.exists():
            return None
        try:
            recorded = self.sidecar.read_text()
            now = lake.fingerprint(self.settings, self.requires().url)
        except FileNotFoundError:  # the sidecar or the landing file just went away
            return None
        except (BotoCoreError, ClientError) as exc:
            raise LakeUnreachable(f"cannot reach the lake to look at {self.requires().url}: {exc}") from None
        return recorded if recorded == now else None

    def run(self) -> None:
        with self.failure_shown():
            url = self.input().path
            source = lake.fingerprint(self.settings, url)  # before the copy: a file replaced meanwhile is stale
            progress = Progress(self, lake.size(self.settings, url), "downloaded")
            final = self.output().path
            tmp = f"{final}{lake.part_tag()}"
            try:
                lake.fetch(self.settings, url, tmp, progress)
                progress.finish(Path(tmp).stat().st_size)
                # os.replace, not luigi's rename_dont_move: a concurrent run may have put the same file there.
                os.replace(tmp, final)
                Path(tmp).write_text(source)
                os.replace(tmp, self.sidecar)
            finally:
                Path(tmp).unlink(missing_ok=True)

    def drop(self) -> None:
        """Remove the download (if any), so the next run fetches the file again."""
        self.sidecar.unlink(missing_ok=True)
        Path(self.output().path).unlink(missing_ok=True)


def any_step_on_any_host() -> None:
    """``[worker] check_unfulfilled_deps = false`` unless luigi.cfg says otherwise (luigi.cfg sets it too).

    With several worker hosts on one luigid, luigid hands a task to any worker that scheduled it, and with
    the default luigi checks every dependency's ``complete()`` on that host before ``run()``: a load whose
    ``Download`` ran on another host would fail with "Unfulfilled dependency at run time". The load reads the
    lake's file when this host has no current download, so that check is not needed; luigid has already
    waited for every dependency to be DONE before handing the task out.
    """
    _default("worker", "check_unfulfilled_deps", "false")


def _default(section: str, key: str, value: str) -> None:
    """Set luigi's ``[section] key`` unless a config file already does."""
    config = luigi.configuration.get_config()
    if not config.has_section(section):
        config.add_section(section)
    if not config.has_option(section, key):
        config.set(section, key, value)


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
    try:
        checks, interval = resolve("landing_checks")[0], resolve("landing_check_interval")[0]
    except ConfigError:
        return  # the run itself reports the bad setting
    if checks <= 1:
        return
    idle = math.ceil(interval) + 10  # one interval, plus luigi's polling and its jitter
    for section, key, value in (
        ("worker", "retry_external_tasks", "true"),
        ("worker", "keep_alive", "true"),
        ("worker", "max_keep_alive_idle_duration", f"{idle} seconds"),
        ("worker", "wait_interval", str(min(1.0, interval))),
        ("worker", "wait_jitter", str(min(5.0, interval))),
        ("scheduler", "retry_delay", str(interval)),
    ):
        _default(section, key, value)
