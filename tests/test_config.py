"""Settings: precedence command line > environment > luigi.cfg > default, and safe identifiers."""

from __future__ import annotations

import luigi
import pytest
from luigi.cmdline_parser import CmdlineParser

from d2b_luigi.config import ConfigError, Settings, d2b


@pytest.fixture
def clean(monkeypatch):
    for key in ("D2B_ID", "D2B_WAREHOUSE_DSN", "D2B_EXPORT_URL"):
        monkeypatch.delenv(key, raising=False)
    config = luigi.configuration.get_config()
    yield config
    if config.has_option("d2b", "id"):
        config.remove_option("d2b", "id")
    luigi.task_register.Register.clear_instance_cache()


def resolve() -> Settings:
    luigi.task_register.Register.clear_instance_cache()
    return Settings(d2b())


def test_default_then_config_file_then_environment_then_command_line(clean, monkeypatch):
    assert resolve().id == "d2b"
    clean.set("d2b", "id", "from_cfg")
    assert resolve().id == "from_cfg"
    monkeypatch.setenv("D2B_ID", "from_env")
    assert resolve().id == "from_env"
    with CmdlineParser.global_instance(["RunAll", "--date", "2025-07-01", "--d2b-id", "from_cli"]):
        assert resolve().staging_schema == "from_cli_staging"


@pytest.mark.parametrize("bad", ["x; drop table y", "Upper", "1starts_with_digit", "has-dash", 'q"uote', "a" * 41])
def test_identifiers_from_configuration_are_validated(clean, monkeypatch, bad):
    monkeypatch.setenv("D2B_ID", bad)
    with pytest.raises(ConfigError, match="D2B_ID=.* is not a plain identifier"):
        resolve()


def test_export_url_placeholders(clean, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("D2B_EXPORT_URL", "s3://bucket/exports/{id}/{date}/")
    assert resolve().export_file(dt.date(2025, 7, 1), "agg_shipments") == (
        "s3://bucket/exports/d2b/2025-07-01/agg_shipments.csv"
    )


def test_the_warehouse_dsn_is_private_and_not_significant():
    param = d2b.get_params()[[name for name, _ in d2b.get_params()].index("warehouse_dsn")][1]
    assert param.significant is False
    assert param.visibility == luigi.parameter.ParameterVisibility.PRIVATE


def test_an_unknown_placeholder_in_a_folder_url_is_a_configuration_error(clean, monkeypatch):
    monkeypatch.setenv("D2B_LANDING_URL", "s3://lake/{dt}")
    with pytest.raises(ConfigError, match=r"D2B_LANDING_URL='s3://lake/\{dt\}': only the placeholders"):
        resolve()


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://etl:s3cret@db:5432/dwh", "postgresql://etl:***@db:5432/dwh"),
        ("host=db user=etl password=s3cret dbname=dwh", "host=db user=etl password=*** dbname=dwh"),
        ("host=db password='s3 cret' dbname=dwh", "host=db password=*** dbname=dwh"),
        ("postgresql://etl@db/dwh", "postgresql://etl@db/dwh"),
    ],
)
def test_dsns_are_printed_without_their_password(dsn, shown):
    from d2b_luigi.warehouse import mask_dsn

    assert mask_dsn(dsn) == shown
