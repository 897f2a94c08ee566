"""Settings of a deployment.

Every setting is resolved in this order: command line (``--d2b-<name>``) > environment variable
(``D2B_<NAME>``) > the ``[d2b]`` section of luigi.cfg > built-in default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import luigi
from luigi.cmdline_parser import CmdlineParser
from luigi.parameter import ParameterVisibility

PROJECT_DIR = Path(__file__).resolve().parent.parent
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use."""


class _FromEnv:
    """Mixin for luigi parameters: an environment variable ranks between the command line and luigi.cfg."""

    def __init__(self, *args, env: str, **kwargs):
        self.env = env
        super().__init__(*args, **kwargs)

    def _value_iterator(self, task_name, param_name):
        parser = CmdlineParser.get_instance()
        if parser:
            found = getattr(parser.known_args, self._parser_global_dest(param_name, task_name), None)
            yield (self._parse_or_no_value(found), None)
        raw = os.environ.get(self.env, "")
        if raw != "":
            yield (self.parse(raw), None)
        yield (self._get_value_from_config(task_name, param_name), None)
        yield (self._default, None)


class EnvParameter(_FromEnv, luigi.Parameter):
    pass


class EnvOptionalParameter(_FromEnv, luigi.OptionalParameter):
    pass


class EnvFloatParameter(_FromEnv, luigi.FloatParameter):
    pass


class EnvIntParameter(_FromEnv, luigi.IntParameter):
    pass


class d2b(luigi.Config):  # noqa: N801 - luigi names the config section after the class
    """The ``[d2b]`` section."""

    warehouse_dsn = EnvOptionalParameter(
        env="D2B_WAREHOUSE_DSN",
        default=None,
        visibility=ParameterVisibility.PRIVATE,
        significant=False,
        description="libpq URI of the warehouse; unset: an embedded PostgreSQL under the work dir",
    )
    id = EnvParameter(env="D2B_ID", default="d2b", description="warehouse id: schemas {id}_staging, {id}_analytics")
    common_schema = EnvParameter(env="D2B_COMMON_SCHEMA", default="if_common", description="schema of the dimensions")
    landing_url = EnvParameter(
        env="D2B_LANDING_URL", default="", description="folder of the incoming CSVs (s3://bucket/prefix or a path)"
    )
    export_url = EnvParameter(env="D2B_EXPORT_URL", default="", description="folder the exports go to")
    work_dir = EnvParameter(env="D2B_WORK_DIR", default=str(PROJECT_DIR / "var"), description="local working directory")
    seed_dimensions = EnvOptionalParameter(
        env="D2B_SEED_DIMENSIONS",
        default=None,
        description="create missing dimension tables from CSVs (default: on for the embedded warehouse only)",
    )
    dimensions_url = EnvParameter(
        env="D2B_DIMENSIONS_URL", default="", description="folder of the dimension CSVs used for seeding"
    )
    holidays = EnvParameter(
        env="D2B_HOLIDAYS",
        default="01-01,05-01,12-25,12-26",
        description="public holidays for a generated dim_dates: MM-DD (every year) or YYYY-MM-DD, comma-separated",
    )
    s3_max_attempts = EnvIntParameter(
        env="D2B_S3_MAX_ATTEMPTS", default=5, description="attempts per S3 call (botocore standard retry mode)"
    )
    landing_checks = EnvIntParameter(
        env="D2B_LANDING_CHECKS", default=1, description="how many times to look for a landing file before giving up"
    )
    landing_check_interval = EnvFloatParameter(
        env="D2B_LANDING_CHECK_INTERVAL", default=300.0, description="seconds between two looks for a landing file"
    )
    max_reject_ratio = EnvFloatParameter(
        env="D2B_MAX_REJECT_RATIO",
        default=0.0,
        description="share of a file's rows that may be rejected before its load fails (0: any reject fails)",
    )
    allow_empty_files = EnvParameter(
        env="D2B_ALLOW_EMPTY_FILES",
        default="false",
        description="accept a landing file with a header and no data rows (default: its load fails)",
    )
    webhook_url = EnvOptionalParameter(
        env="D2B_WEBHOOK_URL",
        default=None,
        visibility=ParameterVisibility.PRIVATE,
        significant=False,
        description="URL that receives a small JSON payload when a task fails (may hold a token: never logged)",
    )


class Settings:
    """The resolved, validated settings the tasks work with."""

    def __init__(self, cfg: d2b | None = None) -> None:
        cfg = cfg or d2b()
        self.id = identifier(cfg.id, "D2B_ID")
        self.common_schema = identifier(cfg.common_schema, "D2B_COMMON_SCHEMA")
        self.staging_schema = f"{self.id}_staging"
        self.analytics_schema = f"{self.id}_analytics"
        self.work_dir = Path(cfg.work_dir)
        self.embedded = not cfg.warehouse_dsn
        self._dsn = cfg.warehouse_dsn
        self.landing_url = folder(
            cfg.landing_url or str(self.work_dir / "lake" / "landing" / "{date}"), "D2B_LANDING_URL"
        )
        self.export_url = folder(
            cfg.export_url or str(self.work_dir / "lake" / "analytics_export" / "{id}" / "{date}"), "D2B_EXPORT_URL"
        )
        self.dimensions_url = cfg.dimensions_url or str(self.work_dir / "lake" / "dimensions")
        seed = cfg.seed_dimensions
        self.seed_dimensions = self.embedded if seed is None else luigi.BoolParameter().parse(seed)
        self.holidays = [h.strip() for h in cfg.holidays.split(",") if h.strip()]
        self.s3_max_attempts = cfg.s3_max_attempts
        self.max_reject_ratio = cfg.max_reject_ratio
        self.allow_empty_files = luigi.BoolParameter().parse(cfg.allow_empty_files)
        self.landing_checks = max(1, cfg.landing_checks)
        self.landing_check_interval = cfg.landing_check_interval
        self.webhook_url = cfg.webhook_url

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
        return self.work_dir / "download" / self.id / date.isoformat()


def identifier(value: str, setting: str) -> str:
    """Accept only plain lower-case SQL identifiers for names that come from configuration."""
    if not _IDENTIFIER.match(value) or len(value) > 40:
        raise ConfigError(
            f"{setting}={value!r} is not a plain identifier (lower-case letters, digits, underscores, at most 40)"
        )
    return value


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
