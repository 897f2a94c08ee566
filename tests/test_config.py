"""Settings: precedence command line > environment > luigi.cfg > default, and safe identifiers."""

from __future__ import annotations

import re

import luigi
import pytest
from luigi.cmdline_parser import CmdlineParser

from d2b_luigi.config import ConfigError, Settings, d2b

RUN = ["RunAll", "--date", "2025-07-01"]


@pytest.fixture
def clean(monkeypatch):
    """No D2B_* in the environment, and whatever the test adds to luigi.cfg's [d2b] removed afterwards."""
    for name, _ in d2b.get_params():
        monkeypatch.delenv("D2B_" + name.upper(), raising=False)
    config = luigi.configuration.get_config()
    before = dict(config.items("d2b")) if config.has_section("d2b") else {}
    yield config
    for key in dict(config.items("d2b")) if config.has_section("d2b") else {}:
        if key not in before:
            config.remove_option("d2b", key)
    luigi.task_register.Register.clear_instance_cache()


def resolve(*flags: str) -> Settings:
    """The settings as a ``luigi`` command with ``flags`` would see them."""
    luigi.task_register.Register.clear_instance_cache()
    if not flags:
        return Settings()
    with CmdlineParser.global_instance([*RUN, *flags]):
        return Settings()


def test_default_then_config_file_then_environment_then_command_line(clean, monkeypatch):
    assert (resolve().id, resolve().sources["id"]) == ("d2b", "default [d2b] id")
    clean.set("d2b", "id", "from_cfg")
    assert (resolve().id, resolve().sources["id"]) == ("from_cfg", "luigi.cfg [d2b] id")
    monkeypatch.setenv("D2B_ID", "from_env")
    assert (resolve().id, resolve().sources["id"]) == ("from_env", "environment D2B_ID")
    settings = resolve("--d2b-id", "from_cli")
    assert (settings.staging_schema, settings.sources["id"]) == ("from_cli_staging", "flag --d2b-id")


def test_each_level_alone_for_a_typed_setting(clean, monkeypatch):
    assert resolve().landing_checks == 1
    assert resolve("--d2b-landing-checks", "4").landing_checks == 4
    monkeypatch.setenv("D2B_LANDING_CHECKS", "3")
    assert resolve().landing_checks == 3
    monkeypatch.delenv("D2B_LANDING_CHECKS")
    clean.set("d2b", "landing_checks", "2")
    assert resolve().landing_checks == 2
    assert resolve("--d2b-landing-checks", "4").landing_checks == 4


def test_a_flag_equal_to_the_config_file_still_beats_the_environment(clean, monkeypatch):
    clean.set("d2b", "id", "same")
    monkeypatch.setenv("D2B_ID", "from_env")
    assert resolve("--d2b-id", "same").id == "same"
    assert resolve("--d2b-common-schema", "other").id == "from_env", "a flag for another setting changes nothing"


def test_an_empty_environment_variable_counts_as_unset(clean, monkeypatch):
    clean.set("d2b", "id", "from_cfg")
    monkeypatch.setenv("D2B_ID", "")
    assert resolve().id == "from_cfg"


@pytest.mark.parametrize("level", ["flag", "environment", "luigi.cfg"])
@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("id", "Bad id", r"='Bad id' is not a plain identifier"),
        ("landing_checks", "many", r": invalid literal for int\(\) .*'many'$"),
    ],
)
def test_a_configuration_error_names_where_the_value_came_from(clean, monkeypatch, level, name, value, problem):
    flags, env = (f"--d2b-{name.replace('_', '-')}", value), "D2B_" + name.upper()
    where = {
        "flag": "flag " + re.escape(flags[0]),
        "environment": f"environment {env}",
        "luigi.cfg": rf"luigi.cfg \[d2b\] {name}",
    }
    if level == "environment":
        monkeypatch.setenv(env, value)
    if level == "luigi.cfg":
        clean.set("d2b", name, value)
    with pytest.raises(ConfigError, match="^" + where[level] + problem) as caught:
        resolve(*(flags if level == "flag" else ()))
    assert "\n" not in str(caught.value)


def test_seed_dimensions_must_be_true_or_false(clean, monkeypatch):
    monkeypatch.setenv("D2B_SEED_DIMENSIONS", "yes please")
    with pytest.raises(ConfigError, match=r"^environment D2B_SEED_DIMENSIONS='yes please' is not true or false$"):
        resolve()


def test_settings_are_plain_luigi_parameters():
    """Only luigi's public mechanisms: stock parameter classes, nothing overriding luigi's resolution."""
    assert issubclass(d2b, luigi.Config)
    for name, param in d2b.get_params():
        assert type(param).__module__ == "luigi.parameter", (name, type(param))


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
