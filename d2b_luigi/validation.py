"""Row-by-row validation of a landing file: the slow path, taken only when the fast COPY finds a problem."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator

from d2b_luigi import catalog

_INT = re.compile(r"^[+-]?\d{1,10}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT4_MAX = 2**31 - 1


def integer(value: str) -> str | None:
    if not _INT.match(value) or abs(int(value)) > INT4_MAX:
        return f"{value!r} is not an integer"
    return None


def date(value: str) -> str | None:
    if not _DATE.match(value):
        return f"{value!r} is not a date (YYYY-MM-DD)"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a valid date"
    return None


def optional_date(value: str) -> str | None:
    return None if value == "" else date(value)


def stars(value: str) -> str | None:
    return integer(value) or (None if 1 <= int(value) <= 5 else f"{value!r} is not a review of 1 to 5 stars")


Check = Callable[[str], "str | None"]

CHECKS: dict[str, Check] = {"int": integer, "date": date, "date?": optional_date, "stars": stars}

SCHEMAS: dict[str, list[tuple[str, Check]]] = {
    name: [(column, CHECKS[kind]) for column, kind in columns] for name, columns in catalog.SOURCE_COLUMNS.items()
}


class Undecodable(ValueError):
    """A line that is not UTF-8: the whole file is refused."""


def check_fields(fields: list[str], schema: list[tuple[str, Check]]) -> str | None:
    """Why this row cannot load, naming the column, or None when it is good."""
    if len(fields) != len(schema):
        return f"{len(fields)} fields, expected {len(schema)} ({','.join(name for name, _ in schema)})"
    for position, ((name, check), value) in enumerate(zip(schema, fields, strict=True), start=1):
        problem = check(value)
        if problem:
            return f"column {position} ({name}): {problem}"
    return None


def scan(lines: Iterable[bytes], schema: list[tuple[str, Check]], first_line: int = 2) -> Iterator[tuple]:
    """Yield ``(line_no, text, fields, reason)`` for each data line; ``reason`` is None for a good row.

    Blank lines are no data and are passed over.
    """
    for line_no, raw in enumerate(lines, start=first_line):
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise Undecodable(f"line {line_no}, byte {exc.start + 1}: not UTF-8 ({exc.reason})") from None
        if text.strip() == "":
            continue
        fields = next(csv.reader([text]))
        yield line_no, text, fields, check_fields(fields, schema)
