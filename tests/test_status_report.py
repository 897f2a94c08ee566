"""Seeing what happened: `d2b status` and the HTML report of `d2b report` (rendered in headless chromium)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import luigi
import pytest

from d2b_luigi import RunAll, cli
from tests.conftest import TINY_DATE
from tests.faults import fail_transform

DATE = str(TINY_DATE)


@pytest.fixture
def finished(pipeline):
    pipeline.put_tiny()
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    return pipeline


def test_status_shows_a_failed_step_with_its_error_and_exits_1(pipeline, monkeypatch, capsys):
    pipeline.put_tiny()
    fail_transform(monkeypatch, "agg_shipments")
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    with pytest.raises(SystemExit) as stop:
        cli.main(["status", "--date", DATE])

    assert stop.value.code == 1, "status exits 1 while the date is not done"
    out = capsys.readouterr().out
    assert f"{pipeline.id}_analytics for {DATE}: NOT done" in out
    assert re.search(r"^Transform agg_shipments +failed .*\n +RuntimeError: injected failure$", out, re.M), out
    assert re.search(r"^QualityCheck +pending$", out, re.M), out
    assert "quality checks: 0 passed, 0 failed\n  (not checked yet)" in out


def test_status_prints_each_step_when_how_long_rows_and_checks(finished, capsys):
    cli.main(["status", "--date", DATE])

    out = capsys.readouterr().out
    assert out.startswith(f"{finished.id}_analytics for {DATE}: done\n")
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[\d.]+ m?s"
    assert re.search(rf"^LoadStaging orders +cleaned up +{stamp} +8 +0$", out, re.M), out
    assert re.search(rf"^Export agg_shipments +done +{stamp} +1$", out, re.M), out
    assert re.search(rf"^CleanUp +done +{stamp}$", out, re.M), out
    assert re.search(rf"^Publish +done +{stamp}$", out, re.M), out
    assert re.search(r"^LandingFile orders +done$", out, re.M), out
    assert re.search(r"^quality checks: \d+ passed, 0 failed$", out, re.M), out
    assert re.search(r"^  pass  error  staging_reconciles_with_files +0 failing rows$", out, re.M), out


def chromium(*args: str, profile) -> subprocess.CompletedProcess:
    """Debian's chromium, headless and offline-minded; the test fails (never skips) when it is missing."""
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed: apt-get install chromium (.ci/run does)"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, timeout=120)


def test_report_is_self_contained_and_renders_in_headless_chromium(finished, tmp_path, capsys):
    page = tmp_path / "report.html"

    cli.main(["report", "--date", DATE, "--output", str(page)])

    assert f"report written to {page}" in capsys.readouterr().out
    source = page.read_text()
    for outside in ("http://", "https://", "//", "src=", "<link", "@import", "<script"):
        assert outside not in source.replace("<!doctype html>", ""), f"the report must not load anything: {outside}"

    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr.decode()
    rendered = dom.stdout.decode()
    for table in ("agg_public_holiday", "agg_shipments", "best_performing_product"):
        assert f"{finished.id}_analytics.{table}</h3>" in rendered
    assert "<td>Screwdriver</td>" in rendered
    assert rendered.count('<span class="badge ok">pass</span>') >= 9
    assert rendered.count("reconciles</span>") == 3
    timeline = re.search(r"<svg.*?</svg>", rendered, re.S).group(0)
    assert timeline.count("<rect") == 15, "3 downloads, 3 loads, 3 transforms, checks, publish, 3 exports, clean-up"
    assert "Publish" in timeline

    png = tmp_path / "report.png"
    shot = chromium(
        "--hide-scrollbars",
        "--window-size=1280,1800",
        f"--screenshot={png}",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    assert shot.returncode == 0, shot.stderr.decode()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000, "a blank page compresses to a few kB; the report is tables and a chart"


def test_report_of_a_date_that_never_ran(pipeline, tmp_path):
    page = tmp_path / "empty.html"
    cli.main(["report", "--date", str(TINY_DATE + dt.timedelta(days=1)), "--output", str(page)])
    text = page.read_text()
    assert "not done" in text and "No task runs recorded for this date." in text and "Not checked yet." in text


def test_report_shows_a_failed_check_with_its_sample(finished, tmp_path):
    finished.query(
        "UPDATE {a}.quality_results SET passed = false, failing_rows = 1, sample = %s WHERE check_name = 'no_nulls'",
        ('[{"order_id": 7}]',),
    )
    page = tmp_path / "report.html"

    cli.main(["report", "--date", DATE, "--output", str(page)])

    text = page.read_text()
    assert '<span class="badge bad">FAIL</span></td><td>no_nulls</td>' in text
    assert "<code>[{&quot;order_id&quot;: 7}]</code>" in text
