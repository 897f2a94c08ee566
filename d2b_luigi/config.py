"""Settings of a deployment.

Every setting is resolved in this order: command line (``--d2b-<name>``) > environment variable
(``D2B_<NAME>``) > the ``[d2b]`` section of luigi.cfg > built-in default. ``d2b`` is a plain
``luigi.Config``: luigi itself resolves the command line, luigi.cfg and the default, and the environment
ranks between the command line and luigi.cfg. A value that cannot be used is a ``ConfigError`` whose
one-line message names where it came from (``flag --d2b-id``, ``environment D2B_ID``, ``luigi.cfg [d2b] id``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import luigi
from luigi.cmdline_parser import CmdlineParser
from luigi.parameter import ParameterVisibility

PROJECT_DIR = Path(__file__).resolve().parent.parent
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use; the message is one line that names its source."""


class d2b(luigi.Config):  # noqa: N801 - luigi names the config section after the class
    """The ``[d2b]`` section."""

    warehouse_dsn = luigi.OptionalParameter(
        default=None,
        visibility=ParameterVisibility.PRIVATE,
        significant=False,
        description="libpq URI of the warehouse; unset: an embedded PostgreSQL under the work dir",
    )
    id = luigi.Parameter(default="d2b", description="warehouse id: schemas {id}_staging, {id}_analytics")
    common_schema = luigi.Parameter(default="if_common", description="schema of the dimensions")
    landing_url = luigi.Parameter(default="", description="folder of the incoming CSVs (s3://bucket/prefix or a path)")
    export_url = luigi.Parameter(default="", description="folder the exports go to")
    work_dir = luigi.Parameter(default=str(PROJECT_DIR / "var"), description="local working directory")
    seed_dimensions = luigi.OptionalParameter(
        default=None,
        description="create missing dimension tables from CSVs (default: on for the embedded warehouse only)",
    )
    dimensions_url = luigi.Parameter(default="", description="folder of the dimension CSVs used for seeding")
    holidays = luigi.Parameter(
        default="01-01,05-01,12-25,12-26",
        description="public holidays for a generated dim_dates: MM-DD (every year) or YYYY-MM-DD, comma-separated",
    )
    s3_max_attempts = luigi.IntParameter(default=5, description="attempts per S3 call (botocore standard retry mode)")
    landing_checks = luigi.IntParameter(
        default=1, description="how many times to look for a landing file before giving up"
    )
    landing_check_interval = luigi.FloatParameter(
        default=300.0, description="seconds between two looks for a landing file"
    )
    max_reject_ratio = luigi.FloatParameter(
        default=0.0,
        description="share of a file's rows that may be rejected before its load fails (0: any reject fails)",
    )
    allow_empty_files = luigi.BoolParameter(
        default=False,
        parsing=luigi.BoolParameter.EXPLICIT_PARSING,
        description="accept a landing file with a header and no data rows (default: its load fails)",
    )
    webhook_url = luigi.OptionalParameter(
        default=None,
        visibility=ParameterVisibility.PRIVATE,
        significant=False,
        description="URL that receives a small JSON payload when a task fails (may hold a token: never logged)",
    )


def env_name(name: str) -> str:
    return "D2B_" + name.upper()


def _on_command_line(name: str) -> bool:
    """Whether the running ``luigi`` command was given ``--d2b-<name>`` (argparse stores it as ``d2b_<name>``)."""
    parser = CmdlineParser.get_instance()
    return parser is not None and getattr(parser.known_args, f"d2b_{name}", None) is not None


def source(name: str) -> str:
    """Where setting ``name`` comes from, as a user would spell it: ``flag --d2b-id``, ``environment D2B_ID``, …"""
    if _on_command_line(name):
        return f"flag --d2b-{name.replace('_', '-')}"
    if os.environ.get(env_name(name), "") != "":
        return f"environment {env_name(name)}"
    if luigi.configuration.get_config().has_option("d2b", name):
        return f"luigi.cfg [d2b] {name}"
    return f"default [d2b] {name}"


def resolve(name: str) -> tuple[Any, str]:
    """The value of setting ``name`` and its source; a value that does not parse is a ``ConfigError``."""
    where = source(name)
    param = getattr(d2b, name)  # the class attribute is the luigi Parameter
    try:
        if where.startswith("environment "):
            return param.normalize(param.parse(os.environ[env_name(name)])), where
        return param.task_value("d2b", name), where
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


class Settings:
    """The resolved, validated settings the tasks work with."""

    def __init__(self) -> None:
        values = {name: resolve(name) for name, _ in d2b.get_params()}
        self.sources = {name: where for name, (_, where) in values.items()}
        cfg = {name: value for name, (value, _) in values.items()}
        self.id = identifier(cfg["id"], self.sources["id"])
        self.common_schema = identifier(cfg["common_schema"], self.sources["common_schema"])
        self.staging_schema = f"{self.id}_staging"
        self.analytics_schema = f"{self.id}_analytics"
        self.work_dir = Path(cfg["work_dir"])
        self.embedded = not cfg["warehouse_dsn"]
        self._dsn = cfg["warehouse_dsn"]
        self.landing_url = folder(
            cfg["landing_url"] or str(self.work_dir / "lake" / "landing" / "{date}"), self.sources["landing_url"]
        )
        self.export_url = folder(
            cfg["export_url"] or str(self.work_dir / "lake" / "analytics_export" / "{id}" / "{date}"),
            self.sources["export_url"],
        )
        self.dimensions_url = cfg["dimensions_url"] or str(self.work_dir / "lake" / "dimensions")
        seed = cfg["seed_dimensions"]
        self.seed_dimensions = self.embedded if seed is None else boolean(seed, self.sources["seed_dimensions"])
        self.holidays = [h.strip() for h in cfg["holidays"].split(",") if h.strip()]
        self.s3_max_attempts = cfg["s3_max_attempts"]
        self.max_reject_ratio = cfg["max_reject_ratio"]
        self.allow_empty_files = cfg["allow_empty_files"]
        self.landing_checks = max(1, cfg["landing_checks"])
        self.landing_check_interval = cfg["landing_check_interval"]
        self.webhook_url = cfg["webhook_url"]

    @property
    def dsn(self) -> str:
        """The warehouse DSN; starts the embedded PostgreSQL when none is configured."""
        if self._dsn is None:
            from d2b_luigi.embedded import embedded_dsn

            self._dsn = embedded_dsn(self.work_dir / "pg")
        return self._dsn

    def landing_file(self, date, name: str) -> str:
        return join_url(self.landing_url.format(date=date.isoformat(), id=self.id), f"{name}.csv")

    def export_file(self, date, table: str) -> str:
        return join_url(self.export_url.format(date=date.isoformat(), id=self.id), f"{table}.csv")

    def download_file(self, date, name: str) -> Path:
        return self.download_dir(date) / f"{name}.csv"

    def download_dir(self, date) -> Path:
        return self.downloads_root / date.isoformat()

    @property
    def downloads_root(self) -> Path:
        """This host's downloads of this warehouse id, one folder per date."""
        return self.work_dir / "download" / self.id


def identifier(value: str, setting: str) -> str:
    """Accept only plain lower-case SQL identifiers for names that come from configuration."""
    if not _IDENTIFIER.match(value) or len(value) > 40:
        raise ConfigError(
            f"{setting}={value!r} is not a plain identifier (lower-case letters, digits, underscores, at most 40)"
        )
    return value


def boolean(value: str, setting: str) -> bool:
    if value.strip().lower() not in ("true", "false"):
        raise ConfigError(f"{setting}={value!r} is not true or false")
    return value.strip().lower() == "true"


def folder(url: str, setting: str) -> str:
    """A folder URL whose only placeholders are ``{date}`` and ``{id}``."""
    try:
        url.format(date="2000-01-01", id="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{setting}={url!r}: only the placeholders {{date}} and {{id}} are known ({exc!r})") from None
    return url


def join_url(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


def settings() -> Settings:
    return Settings()
