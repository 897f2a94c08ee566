"""d2b_luigi: a daily batch pipeline on Luigi (lake -> PostgreSQL staging -> SQL analytics -> lake).

``luigi --module d2b_luigi RunAll --date D`` finds the tasks here.
"""

import logging
import os
import sys
from pathlib import Path

import luigi.configuration

from d2b_luigi import notify, outcome, runlog  # noqa: F401  (register the failure webhook and the run log)
from d2b_luigi.config import ConfigError
from d2b_luigi.scheduler import configure_clients
from d2b_luigi.tasks.cleanup import CleanUp, sweep_at_exit
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.export import Export
from d2b_luigi.tasks.extract import Download, LandingFile, any_step_on_any_host, wait_for_late_files
from d2b_luigi.tasks.load import CreateStagingTable, LoadStaging
from d2b_luigi.tasks.pipeline import RangeDaily, RunAll
from d2b_luigi.tasks.publish import Publish
from d2b_luigi.tasks.quality import QualityCheck
from d2b_luigi.tasks.schema import MigrateSchema
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
    "MigrateSchema",
    "Publish",
    "QualityCheck",
    "RangeDaily",
    "RunAll",
    "Transform",
]


class _BesideLuigi(logging.Handler):
    """Under the ``luigi`` command without ``--logging-conf-file``, luigi gives a handler to its own
    ``luigi-interface`` logger only: d2b_luigi's lines then go to the same handlers, at the same level
    (``WARNING: quality check …``) instead of Python's bare last-resort line or nowhere (INFO). A logging
    configuration that gives the root logger handlers (cron's ``config/logging.cfg``) gets them as before."""

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:
            return  # they propagate to the root logger's handlers
        interface = logging.getLogger("luigi-interface")
        if not interface.handlers:  # luigi has not set up its logging yet: the way Python would say it
            if record.levelno >= logging.WARNING:
                logging.lastResort.handle(record)
            return
        if record.levelno >= interface.getEffectiveLevel():
            for handler in interface.handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)


if outcome.under_the_luigi_command():
    logging.getLogger("d2b_luigi").addHandler(_BesideLuigi())
    logging.getLogger("d2b_luigi").setLevel(logging.INFO)  # as luigi.cfg logs luigi; the root logger says WARNING

_PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "luigi.cfg"
if not luigi.configuration.get_config().has_option("retcode", "task_failed") and _PROJECT_CONFIG.is_file():
    # Run from another folder (cron starts in $HOME): the `luigi` command imports this module while it
    # parses its arguments, before it reads [retcode], so loading the project's file here still counts.
    luigi.configuration.add_config_path(str(_PROJECT_CONFIG))
    # the files of LUIGI_CONFIG_PATH (config/hosts.cfg, say) still win over the project's: read again, last
    for path in filter(None, os.environ.get("LUIGI_CONFIG_PATH", "").split(os.pathsep)):
        luigi.configuration.add_config_path(path)
    logging.getLogger("d2b_luigi").warning(
        "no luigi.cfg in the current folder: using %s (set LUIGI_CONFIG_PATH to choose another)", _PROJECT_CONFIG
    )

try:
    configure_clients()  # D2B_SCHEDULER_HOST/PORT: after luigi.cfg is read, before luigi reads [core]
except ConfigError as exc:  # no command can work with it: one line, the exit code of a bad setting
    print(f"d2b_luigi: {exc}", file=sys.stderr)
    raise SystemExit(35) from None
wait_for_late_files()
any_step_on_any_host()
outcome.install()  # under the `luigi` command: say each failed or missing thing after luigi's summary
if outcome.under_the_luigi_command():
    sweep_at_exit()
