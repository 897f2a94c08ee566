"""The loader after anything an operator meets: every failed load names the file (line and column for a
row), drops its download and stores nothing huge; fixing the file and rerunning works; one run reports
the bad rows of every file; one grammar on both paths; header columns matched by name."""

from __future__ import annotations

import io
import json
import logging

import luigi
import pytest

from d2b_luigi import LoadStaging, RunAll, validation, warehouse
from tests.commands import LuigiProcess, process_env, wait_until
from tests.conftest import TINY, TINY_DATE
from tests.test_concurrency import waiting_on_a_step_lock

EXPECTED = json.loads((TINY / "expected-2025-07-01.json").read_text())
ORDERS_HEADER = "order_id,customer_id,order_date,product_id,unit_price,quantity,total_price"
GOOD_ORDERS = (TINY / "orders.csv").read_text()
GOOD_SHIPMENTS = (TINY / "shipment_deliveries.csv").read_text()
MEGABYTE = 1 << 20


def land(pipeline, name: str, content: str | bytes) -> str:
    path = pipeline.landing_dir(TINY_DATE) / f"{name}.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def download(pipeline, name: str):
    return pipeline.root / "work" / "download" / pipeline.id / TINY_DATE.isoformat() / f"{name}.csv"


def rejects(pipeline) -> list[tuple]:
    return pipeline.query("SELECT source, line_no, raw_line, reason FROM {s}.rejected_rows ORDER BY source, line_no")


def orders_with(line_3: str) -> str:
    """The tiny orders file with its line 3 (order 2) replaced."""
    lines = GOOD_ORDERS.splitlines()
    lines[2] = line_3
    return "\n".join(lines) + "\n"


def rows_rejected(url: str, reason: str, lines: int = 8) -> str:
    return (
        f"{url}: 1 of {lines} rows rejected, more than max_reject_ratio=0.0 allows; nothing of this file was "
        f"loaded. line 3: {reason}."
    )


def _fail_copy(monkeypatch) -> None:
    def copy_in(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(warehouse, "copy_in", copy_in)


# (what is wrong, the bad file, the message it must show given the file's URL, an injected fault)
FAILED_LOADS = [
    (
        "bad header",
        "order_id,customer\n1,1\n",
        lambda url: f"{url}: line 1: expected header {ORDERS_HEADER} (in any order), found order_id,customer",
        None,
    ),
    (
        "bad row",
        orders_with("2,x,2024-12-25,1,100,1,100"),
        lambda url: rows_rejected(url, "column 2 (customer_id): 'x' is not an integer"),
        None,
    ),
    (
        "undecodable",
        orders_with("2,2,2024-12-25,1,100,1,1\xff0").encode("latin-1"),
        lambda url: f"{url}: line 3, byte 25: not UTF-8 (invalid start byte); nothing was loaded",
        None,
    ),
    ("empty", "", lambda url: f"{url}: the file is empty (expected a header row: {ORDERS_HEADER})", None),
    (
        "header only",
        ORDERS_HEADER + "\n",
        lambda url: (
            f"{url}: a header and no data rows; nothing was loaded "
            "(D2B_ALLOW_EMPTY_FILES=true accepts a file without rows)"
        ),
        None,
    ),
    (
        "NUL byte",
        orders_with("2,2\x00,2024-12-25,1,100,1,100"),
        lambda url: rows_rejected(url, "column 2 (customer_id): '2\\x00' is not an integer"),
        None,
    ),
    (
        "1 MB field",
        orders_with("2," + "9" * MEGABYTE + ",2024-12-25,1,100,1,100"),
        lambda url: rows_rejected(
            url, f"column 2 (customer_id): '{'9' * 40}'… ({MEGABYTE:,} characters) is not an integer"
        ),
        None,
    ),
    ("unexpected error", GOOD_ORDERS, lambda url: f"{url}: OSError: disk on fire", _fail_copy),
]


@pytest.mark.parametrize(("case", "content", "message", "fault"), FAILED_LOADS, ids=[c[0] for c in FAILED_LOADS])
def test_a_failed_load_names_the_file_drops_its_download_and_the_fixed_file_loads(
    pipeline, monkeypatch, caplog, case, content, message, fault
):
    pipeline.put_tiny()
    url = land(pipeline, "orders", content)
    if fault:
        fault(monkeypatch)
    caplog.set_level(logging.DEBUG)

    result = pipeline.build(LoadStaging(date=TINY_DATE, name="orders"))

    assert result.status == luigi.LuigiStatusCode.FAILED, case
    assert message(url) in result.errors, result.errors[:2000]
    assert not download(pipeline, "orders").exists(), "the bad download is dropped"
    assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
    longest = max(len(record.getMessage()) + len(record.exc_text or "") for record in caplog.records)
    assert longest < 20_000, "no log line holds a huge value"
    assert len(result.errors) < 20_000

    monkeypatch.undo()  # the fault is gone; the environment of the pipeline stays
    for key, value in pipeline.env.items():
        monkeypatch.setenv(key, value)
    land(pipeline, "orders", GOOD_ORDERS)

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert rejects(pipeline) == [], "the fixed file's rerun clears the old rejects"


def test_a_nul_byte_is_rejected_naming_line_and_column_and_stored_escaped(pipeline):
    pipeline.put_tiny()
    land(pipeline, "orders", orders_with("2,2\x00,2024-12-25,1,100,1,100"))

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="orders")).status == luigi.LuigiStatusCode.FAILED

    assert rejects(pipeline) == [
        ("orders", 3, "2,2\\x00,2024-12-25,1,100,1,100", "column 2 (customer_id): '2\\x00' is not an integer")
    ]


def test_a_huge_field_is_stored_cut_with_its_length(pipeline):
    pipeline.put_tiny()
    land(pipeline, "orders", orders_with("2," + "9" * MEGABYTE + ",2024-12-25,1,100,1,100"))

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="orders")).status == luigi.LuigiStatusCode.FAILED

    [(source, line_no, raw_line, reason)] = rejects(pipeline)
    line_length = len("2,") + MEGABYTE + len(",2024-12-25,1,100,1,100")
    assert (source, line_no) == ("orders", 3)
    assert raw_line == "2," + "9" * 998 + f"… ({line_length:,} characters)"
    assert reason == f"column 2 (customer_id): '{'9' * 40}'… ({MEGABYTE:,} characters) is not an integer"


def test_a_header_only_file_loads_when_empty_files_are_allowed(pipeline, monkeypatch):
    pipeline.put_tiny()
    land(pipeline, "reviews", "review,product_id\n")
    monkeypatch.setenv("D2B_ALLOW_EMPTY_FILES", "true")

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="reviews")).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.query("SELECT source, data_lines, rows_loaded, rows_rejected FROM {a}.load_log") == [
        ("reviews", 0, 0, 0)
    ]


def test_one_run_reports_the_bad_rows_of_orders_and_of_shipments(pipeline):
    """Orders line 3 is bad, and so is a shipment line; the shipment of order 2 (whose line is bad) too."""
    pipeline.put_tiny()
    orders_url = land(pipeline, "orders", orders_with("2,x,2024-12-25,1,100,1,100"))
    shipments_url = land(pipeline, "shipment_deliveries", GOOD_SHIPMENTS + "9,8,2025-06-2,\n")

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert rows_rejected(orders_url, "column 2 (customer_id): 'x' is not an integer") in result.errors
    assert f"{shipments_url}: 2 of 9 rows rejected" in result.errors
    assert rejects(pipeline) == [
        ("orders", 3, "2,x,2024-12-25,1,100,1,100", "column 2 (customer_id): 'x' is not an integer"),
        (
            "shipment_deliveries",
            3,
            "2,2,2024-12-31,",
            "column 2 (order_id): order 2 is on line 3 of the orders file, which was rejected",
        ),
        (
            "shipment_deliveries",
            10,
            "9,8,2025-06-2,",
            "column 3 (shipment_date): '2025-06-2' is not a date (YYYY-MM-DD)",
        ),
    ]
    assert not download(pipeline, "orders").exists()
    assert not download(pipeline, "shipment_deliveries").exists()

    land(pipeline, "orders", GOOD_ORDERS)  # the operator fixes both files at once
    land(pipeline, "shipment_deliveries", GOOD_SHIPMENTS)

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert rejects(pipeline) == []


def test_shipments_rows_are_checked_when_the_orders_file_cannot_be_read(pipeline):
    pipeline.put_tiny()
    orders_url = land(pipeline, "orders", "order_id\n1\n")
    shipments_url = land(pipeline, "shipment_deliveries", GOOD_SHIPMENTS + "9,8,2025-06-2,\n")

    result = pipeline.build(RunAll(date=TINY_DATE))

    assert result.status == luigi.LuigiStatusCode.FAILED
    assert (
        f"{shipments_url}: 1 of 9 rows rejected: line 10: column 3 (shipment_date): '2025-06-2' is not a date "
        f"(YYYY-MM-DD); its order_ids cannot be checked against {orders_url}: line 1: expected header "
        f"{ORDERS_HEADER} (in any order), found order_id"
    ) in result.errors
    assert rejects(pipeline) == [
        (
            "shipment_deliveries",
            10,
            "9,8,2025-06-2,",
            "column 3 (shipment_date): '2025-06-2' is not a date (YYYY-MM-DD)",
        )
    ]
    assert pipeline.query("SELECT count(*) FROM {s}.shipment_deliveries") == [(0,)]

    land(pipeline, "orders", GOOD_ORDERS)
    land(pipeline, "shipment_deliveries", GOOD_SHIPMENTS)

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.analytics(TINY_DATE) == EXPECTED
    assert rejects(pipeline) == []


@pytest.mark.parametrize(
    ("line_3", "reason"),
    [
        ("2,2,2024-12-25,1,100,1", "6 fields, expected 7"),  # refused while reading: its order_id still parses
        ("2,2,2030-01-02,1,100,1,100", "2030-01-02 is not in dim_dates"),  # refused after COPY, by SQL
    ],
)
def test_a_shipment_whose_orders_line_was_rejected_is_told_so(pipeline, line_3, reason):
    pipeline.put_tiny()
    land(pipeline, "orders", orders_with(line_3))

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.FAILED

    found = {(source, line): why for source, line, _, why in rejects(pipeline)}
    assert found.keys() == {("orders", 3), ("shipment_deliveries", 3)}
    assert reason in found["orders", 3]
    assert found["shipment_deliveries", 3] == (
        "column 2 (order_id): order 2 is on line 3 of the orders file, which was rejected"
    )


def test_shipments_loaded_before_the_orders_match_the_orders_file(pipeline, monkeypatch):
    """The shipments load runs first (a worker may pick it first); it checks the orders file's valid rows."""
    pipeline.put_tiny()
    land(pipeline, "orders", orders_with("2,x,2024-12-25,1,100,1,100"))
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.2")

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="shipment_deliveries")).status == (
        luigi.LuigiStatusCode.SUCCESS
    )
    assert pipeline.query("SELECT count(*) FROM {a}.task_markers WHERE update_id LIKE '%%:orders'") == [(0,)]
    assert rejects(pipeline) == [
        (
            "shipment_deliveries",
            3,
            "2,2,2024-12-31,",
            "column 2 (order_id): order 2 is on line 3 of the orders file, which was rejected",
        )
    ]
    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert pipeline.query("SELECT source, data_lines, rows_loaded, rows_rejected FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8, 7, 1),
        ("reviews", 6, 6, 0),
        ("shipment_deliveries", 8, 7, 1),
    ]


# Values PostgreSQL's casts read but the grammar refuses, in orders line 3 (order 2, dated 2024-12-25).
NOT_IN_THE_GRAMMAR = [
    ("2, 2,2024-12-25,1,100,1,100", "column 2 (customer_id): ' 2' is not an integer"),
    ("2,2 ,2024-12-25,1,100,1,100", "column 2 (customer_id): '2 ' is not an integer"),
    ("2,2,2024-12-5,1,100,1,100", "column 3 (order_date): '2024-12-5' is not a date (YYYY-MM-DD)"),
    ("2,2,20241225,1,100,1,100", "column 3 (order_date): '20241225' is not a date (YYYY-MM-DD)"),
    ("2,2,241225,1,100,1,100", "column 3 (order_date): '241225' is not a date (YYYY-MM-DD)"),
    ("2,2,2024-12-025,1,100,1,100", "column 3 (order_date): '2024-12-025' is not a date (YYYY-MM-DD)"),
    ("2,2,2024--12-25,1,100,1,100", "column 3 (order_date): '2024--12-25' is not a date (YYYY-MM-DD)"),
    ("2,2,Dec 25 2024,1,100,1,100", "column 3 (order_date): 'Dec 25 2024' is not a date (YYYY-MM-DD)"),
    ("2,2,2024-12-25,1,1_00,1,100", "column 5 (unit_price): '1_00' is not an integer"),
]


@pytest.mark.parametrize(("line", "reason"), NOT_IN_THE_GRAMMAR, ids=[line for line, _ in NOT_IN_THE_GRAMMAR])
def test_one_grammar_on_the_fast_path(pipeline, line, reason):
    """The only bad value of the file: COPY would read it, the fast path's checks must catch it."""
    pipeline.put_tiny()
    land(pipeline, "orders", orders_with(line))

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="orders")).status == luigi.LuigiStatusCode.FAILED

    assert [(line_no, why) for _, line_no, _, why in rejects(pipeline)] == [(3, reason)]


def test_one_grammar_on_the_validating_path(pipeline):
    """The same values together, with a row COPY refuses: each gets the reason it gets alone."""
    pipeline.put_tiny()
    lines = GOOD_ORDERS.splitlines()[:2] + [line for line, _ in NOT_IN_THE_GRAMMAR] + ["9,1,2025-06-24,2,50"]
    land(pipeline, "orders", "\n".join(lines))

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="orders")).status == luigi.LuigiStatusCode.FAILED

    expected = [(3 + n, reason) for n, (_, reason) in enumerate(NOT_IN_THE_GRAMMAR)]
    last = (3 + len(NOT_IN_THE_GRAMMAR), "5 fields, expected 7 (" + ORDERS_HEADER + ")")
    assert [(line_no, why) for _, line_no, _, why in rejects(pipeline)] == [*expected, last]


def test_values_in_the_grammar_load_on_the_fast_path_and_on_the_validating_path(pipeline, monkeypatch):
    """Signs and leading zeros are in the grammar: the same row loads with or without a bad row in the file."""
    pipeline.put_tiny()
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.2")
    odd = orders_with("+2,-0,2024-12-25,001,100,1,00000000000000000100")
    for extra, path in (("", "fast"), ("9,1,2025-06-24,2,50\n", "validating")):
        land(pipeline, "orders", odd + extra)

        assert pipeline.build(LoadStaging(date=TINY_DATE, name="orders")).status == luigi.LuigiStatusCode.SUCCESS

        assert pipeline.query(
            "SELECT order_id, customer_id, order_date::text, product_id, total_price, line_no IS NOT NULL"
            " FROM {s}.orders WHERE order_id = 2"
        ) == [(2, 0, "2024-12-25", 1, 100, path == "validating")], path
        pipeline.query("DELETE FROM {a}.task_markers")  # load the next file afresh
        download(pipeline, "orders").unlink()


def test_a_reordered_export_loads_by_column_name(pipeline):
    pipeline.put_tiny()
    order = [3, 0, 6, 1, 2, 5, 4]  # order_date,order_id,total_price,customer_id,…
    for name, text in (("orders", GOOD_ORDERS), ("shipment_deliveries", GOOD_SHIPMENTS)):
        columns = [2, 3, 0, 1] if name == "shipment_deliveries" else order
        rows = [line.split(",") for line in text.splitlines()]
        land(pipeline, name, "\n".join(",".join(row[i] for i in columns) for row in rows) + "\n")

    assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS

    assert pipeline.analytics(TINY_DATE) == EXPECTED


def test_a_repeated_key_in_a_reordered_file_names_the_files_column(pipeline, monkeypatch):
    pipeline.put_tiny()
    rows = [line.split(",") for line in (GOOD_SHIPMENTS + "8,8,2025-06-26,").splitlines()]
    land(pipeline, "shipment_deliveries", "\n".join(",".join([b, a, c, d]) for a, b, c, d in rows))
    monkeypatch.setenv("D2B_MAX_REJECT_RATIO", "0.2")

    assert pipeline.build(LoadStaging(date=TINY_DATE, name="shipment_deliveries")).status == (
        luigi.LuigiStatusCode.SUCCESS
    )

    assert rejects(pipeline) == [
        ("shipment_deliveries", 10, "8,8,2025-06-26,", "column 2 (shipment_id): 8 is already on line 9")
    ]


def test_a_bad_value_in_a_reordered_file_names_the_files_column(pipeline):
    pipeline.put_tiny()
    url = land(pipeline, "reviews", "product_id,review\n1,5\n2,6\n")

    result = pipeline.build(LoadStaging(date=TINY_DATE, name="reviews"))

    assert (
        f"{url}: 1 of 2 rows rejected, more than max_reject_ratio=0.0 allows; nothing of this file was loaded. "
        "line 3: column 2 (review): '6' is not a review of 1 to 5 stars."
    ) in result.errors


def scanned(body: bytes, chunk: int, patterns: tuple[bytes, ...] | None = None) -> tuple[bool, int]:
    check = validation.FastCheck(io.BytesIO(body), *([patterns] if patterns is not None else []))
    while check.read(chunk):
        pass
    return check.plain, check.canonical_dates


@pytest.mark.parametrize("chunk", [1, 5, 64])
@pytest.mark.parametrize(
    ("body", "plain", "dates"),
    [
        (b"1,2025-01-02,3\n2,2025-01-03,4", True, 2),
        (b"1,2025-01-02,3\r\n2,2025-01-03,-4\r\n", True, 2),
        (b"1,2,2025-01-02,2025-01-03\n2,3,,2025-01-01\n3,4,,\n", True, 3),
        (b"2025-01-02,1\n", True, 1),
        (b"1,2025-1-02,3\n1,20250102,3\n1,2025-01-022,3\n1,+2025-01-02,3\n", True, 0),
        (b"1, 2\n", False, 0),
        (b'1,"2025-01-02"\n', False, 0),
        (b"1,2\x00\n", False, 0),
    ],
)
def test_the_fast_path_counts_only_whole_canonical_date_fields(body, plain, dates, chunk):
    found_plain, found_dates = scanned(body, chunk)
    assert found_plain == plain
    if plain:
        assert found_dates == dates


@pytest.mark.parametrize("first", ["bad file", "fixed file"])
def test_a_failing_load_never_empties_what_a_concurrent_run_of_the_step_committed(pipeline, tmp_path, dsn, first):
    """Two runs of LoadStaging(orders) at once, on two hosts (own work dirs), one with the bad file and one
    with the fixed file, the first held inside its transaction: the rejects and the truncation of the bad
    run happen under the step's lock, so the fixed run's committed rows and marker stay while the fixed file
    is the one in the lake. The bad file landed after the fixed one is the lake's file now: its run loads it
    (and fails), so the date's load is not done and its rejects are that file's."""
    pipeline.put_tiny()
    files = {"bad file": orders_with("2,x,2024-12-25,1,100,1,100"), "fixed file": GOOD_ORDERS}
    second = "fixed file" if first == "bad file" else "bad file"
    release = tmp_path / "release"
    step = ("--local-scheduler", "LoadStaging", "--name", "orders", "--date", TINY_DATE.isoformat())
    land(pipeline, "orders", files[first])
    held = LuigiProcess(
        *step,
        env=process_env(
            pipeline, D2B_WORK_DIR=str(tmp_path / "host-a"), D2B_PAUSE_AT="LoadStaging", D2B_PAUSE_RELEASE=str(release)
        ),
        lock_dir=tmp_path / "a",
    )
    held.wait_for("d2b_luigi: paused at LoadStaging")
    land(pipeline, "orders", files[second])
    waiting = LuigiProcess(
        *step, env=process_env(pipeline, D2B_WORK_DIR=str(tmp_path / "host-b")), lock_dir=tmp_path / "b"
    )
    wait_until(lambda: waiting_on_a_step_lock(dsn), what="the second run to wait for the step's lock")
    release.touch()

    codes = {first: held.finish(), second: waiting.finish()}

    # held with the fixed file, which was replaced before it ended: luigi's check after the run finds it not done
    assert codes == {"fixed file": 0 if first == "bad file" else 30, "bad file": 30}
    assert pipeline.query("SELECT data_lines, rows_loaded, rows_rejected FROM {a}.load_log") == [(8, 8, 0)]
    marker = pipeline.query("SELECT update_id FROM {a}.task_markers WHERE update_id LIKE 'LoadStaging%%'")
    if first == "bad file":
        assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(8,)]
        assert marker == [("LoadStaging:2025-07-01:orders",)]
        assert rejects(pipeline) == []
    else:
        assert pipeline.query("SELECT count(*) FROM {s}.orders") == [(0,)]
        assert marker == []
        assert [(source, line) for source, line, *_ in rejects(pipeline)] == [("orders", 3)]


def test_order_ids_at_both_ends_of_the_integer_range_load_on_the_fast_path(pipeline, caplog):
    """The shipments load's check that the orders fill a range without gaps counts in bigint: order ids
    -2000000000 and 2000000000 are valid integers, and their span does not fit an int."""
    pipeline.put_tiny()
    land(pipeline, "orders", GOOD_ORDERS.replace("\n1,1,", "\n-2000000000,1,").replace("\n8,2,", "\n2000000000,2,"))
    shipments = GOOD_SHIPMENTS.replace("\n1,1,", "\n1,-2000000000,").replace("\n8,8,", "\n8,2000000000,")
    land(pipeline, "shipment_deliveries", shipments)

    with caplog.at_level(logging.INFO, logger="d2b_luigi"):
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert "needs row-by-row validation" not in caplog.text
    assert pipeline.query("SELECT source, rows_loaded, rows_rejected FROM {a}.load_log ORDER BY 1") == [
        ("orders", 8, 0),
        ("reviews", 6, 0),
        ("shipment_deliveries", 8, 0),
    ]


def test_a_shipments_load_checks_its_own_rows_before_it_waits_for_the_orders(pipeline, monkeypatch):
    """The repeated-key and date checks of the shipments' own rows run beside a running orders load; only the
    check of their order_ids waits for it."""
    pipeline.put_tiny()
    statements: list[str] = []
    seen_when_waiting: list[list[str]] = []
    statement, wait_for_step = warehouse.statement, warehouse.wait_for_step

    def named(settings, name, **parts):
        statements.append(name)
        return statement(settings, name, **parts)

    def waiting(cursor, settings, update_id):
        seen_when_waiting.append(list(statements))
        return wait_for_step(cursor, settings, update_id)

    monkeypatch.setattr(warehouse, "statement", named)
    monkeypatch.setattr(warehouse, "wait_for_step", waiting)
    assert pipeline.build(LoadStaging(date=TINY_DATE, name="shipment_deliveries")).status == (
        luigi.LuigiStatusCode.SUCCESS
    )
    [seen] = seen_when_waiting
    assert "rejects/detect_shipment_deliveries" in seen
    assert "rejects/detect_missing_orders" not in seen
    assert "rejects/detect_missing_orders" in statements
    assert pipeline.query("SELECT source, rows_loaded, rows_rejected FROM {a}.load_log") == [
        ("shipment_deliveries", 8, 0)
    ]


@pytest.mark.parametrize(
    ("source", "columns", "patterns"),
    [
        ("reviews", "review,product_id", 0),
        ("orders", ORDERS_HEADER, 1),
        ("shipment_deliveries", "shipment_id,order_id,shipment_date,delivery_date", 2),
        ("shipment_deliveries", "shipment_date,order_id,delivery_date,shipment_id", 1),
        ("shipment_deliveries", "shipment_date,shipment_id,order_id,delivery_date", 2),  # last and first
    ],
)
def test_the_fast_path_counts_date_pairs_only_where_two_dates_can_stand_side_by_side(source, columns, patterns):
    assert len(validation.date_patterns(validation.schema(source, columns.split(",")))) == patterns


def test_dates_that_meet_across_a_line_end_stay_on_the_fast_path(pipeline, caplog):
    """A shipments file whose last column and first column are dates: a line's delivery_date and the next
    line's shipment_date stand side by side, and both are counted."""
    pipeline.put_tiny()
    rows = [line.split(",") for line in GOOD_SHIPMENTS.splitlines()]
    land(pipeline, "shipment_deliveries", "\n".join(",".join(row[i] for i in (2, 0, 1, 3)) for row in rows) + "\n")

    with caplog.at_level(logging.INFO, logger="d2b_luigi"):
        assert pipeline.build(RunAll(date=TINY_DATE)).status == luigi.LuigiStatusCode.SUCCESS
    assert "needs row-by-row validation" not in caplog.text
    assert pipeline.analytics(TINY_DATE) == EXPECTED


@pytest.mark.parametrize("chunk", [1, 5, 64])
@pytest.mark.parametrize(
    ("columns", "body", "dates"),
    [
        ("order_id,customer_id,order_date,product_id", b"1,2,2025-01-02,3\n2,3,2025-01-03,4", 2),
        ("order_date,order_id,customer_id,product_id", b"2025-01-02,1,2,3\r\n2025-1-03,2,3,4\r\n", 1),
        ("shipment_id,shipment_date,order_id,delivery_date", b"1,2025-01-02,1,2025-01-03\n2,,2,\n3,,3,2025-01-05", 3),
    ],
)
def test_the_patterns_a_files_columns_need_count_every_canonical_date_in_any_chunks(columns, body, dates, chunk):
    """A file's own patterns (one for these orders and these shipments: no two dates side by side) count every
    date field that is exactly YYYY-MM-DD, wherever the chunks end."""
    schema = validation.schema("orders" if "order_date" in columns else "shipment_deliveries", columns.split(","))
    assert scanned(body, chunk, validation.date_patterns(schema)) == (True, dates)
