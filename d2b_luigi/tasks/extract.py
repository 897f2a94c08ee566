"""Wait for the day's files in the lake and download them to the work dir."""

from __future__ import annotations

import luigi

from d2b_luigi import lake
from d2b_luigi.tasks.base import PipelineTask, Progress

SOURCES = ("orders", "reviews", "shipment_deliveries")


class LandingFile(luigi.ExternalTask, PipelineTask):
    """A file the lake receives every day (the seed's file sensor). Done when it exists."""

    date = luigi.DateParameter()
    name = luigi.ChoiceParameter(choices=SOURCES)

    @property
    def url(self) -> str:
        return self.settings.landing_file(self.date, self.name)

    def output(self):
        return lake.target(self.settings, self.url)


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
        with self.output().temporary_path() as tmp:
            lake.fetch(self.settings, url, tmp, progress)
