"""d2b_luigi: a daily batch pipeline on Luigi (lake -> PostgreSQL staging -> SQL analytics -> lake).

``luigi --module d2b_luigi RunAll --date D`` finds the tasks here.
"""

import luigi.tools.range  # noqa: F401  (puts RangeDaily on the command line; autoload_range is off)

from d2b_luigi import notify, runlog  # noqa: F401  (register the failure webhook and the run log)
from d2b_luigi.tasks.cleanup import CleanUp
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.extract import Download, LandingFile
from d2b_luigi.tasks.load import CreateStagingTable, LoadStaging
from d2b_luigi.tasks.pipeline import RunAll
from d2b_luigi.tasks.quality import QualityCheck
from d2b_luigi.tasks.transform import CreateAnalyticsTable, Transform

__all__ = [
    "CleanUp",
    "CreateAnalyticsTable",
    "CreateStagingTable",
    "Dimensions",
    "Download",
    "Export",
    "LandingFile",
    "LoadStaging",
    "QualityCheck",
    "RunAll",
    "Transform",
]
