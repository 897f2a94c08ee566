"""The grammar of a valid value, and the two ways a load applies it.

One grammar (business-rules.md, "Bad input"), whichever path the loader takes:

- an integer is ``[+-]?[0-9]+`` within the column's range (``int``: 32 bits; ``stars``: 1 to 5);
- a date is ``YYYY-MM-DD`` naming a real day; ``date?`` is such a date or empty (NULL);
- fields may be quoted (CSV); nothing else: no blanks around a value (``' 5'``), no other date forms
  (``'2025-1-2'``, ``'20250102'``), even though PostgreSQL's casts would read them.

The validating path (``scan``) checks every line in Python. The fast path COPYs the file as it is and
``FastCheck`` watches the bytes go by: PostgreSQL's casts accept more than the grammar, so the fast path
keeps a file only when its bytes are digits, commas, signs and line ends, and every non-empty date field
is exactly ``dddd-dd-dd`` (counted here, compared with the dates COPY loaded). Over those bytes an
integer PostgreSQL accepts is one the grammar accepts. Any other file goes the validating path.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator

from d2b_luigi import catalog

_INT = re.compile(r"[+-]?[0-9]+\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
INT4 = range(-(2**31), 2**31)
SHOWN_VALUE = 40  # characters of a bad value quoted in a reason
SHOWN_LINE = 1000  # characters of a bad line stored and logged

# A line is already in memory when csv parses it, so a field as long as the line costs nothing more;
# the default limit (131,072) would turn a long value into an error that names no line.
csv.field_size_limit(2**31 - 1)


def shown(value: str, limit: int = SHOWN_VALUE) -> str:
    """``repr`` of a value for a message: escaped, and cut with its length when longer than ``limit``."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def excerpt(text: str, limit: int = SHOWN_LINE) -> str:
    """A raw line as stored in rejected_rows and logged: control characters escaped (``\\x00``), cut to
    ``limit`` characters with the line's length when longer."""
    cut = text[:limit]
    cut = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", cut)
    return cut if len(text) <= limit else f"{cut}… ({len(text):,} characters)"


def integer(value: str) -> str | None:
    digits = value.lstrip("+-").lstrip("0")  # int() of a megabyte of digits would take a long while
    if not _INT.match(value) or len(digits) > 10 or int(value) not in INT4:
        return f"{shown(value)} is not an integer"
    return None


def date(value: str) -> str | None:
    if not _DATE.match(value):
        return f"{shown(value)} is not a date (YYYY-MM-DD)"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"{shown(value)} is not a valid date"
    return None


def optional_date(value: str) -> str | None:
    return None if value == "" else date(value)


def stars(value: str) -> str | None:
    return integer(value) or (None if 1 <= int(value) <= 5 else f"{shown(value)} is not a review of 1 to 5 stars")


Check = Callable[[str], "str | None"]

CHECKS: dict[str, Check] = {"int": integer, "date": date, "date?": optional_date, "stars": stars}

Schema = list[tuple[str, Check]]


def schema(source: str, columns: list[str]) -> Schema:
    """The checks of ``source``'s columns in the order ``columns`` (the file's header) names them."""
    kinds = dict(catalog.SOURCE_COLUMNS[source])
    return [(column, CHECKS[kinds[column]]) for column in columns]


class Undecodable(ValueError):
    """A line that is not UTF-8: the whole file is refused."""


def check_fields(fields: list[str], schema: Schema) -> str | None:
    """Why this row cannot load, naming the column, or None when it is good."""
    if len(fields) != len(schema):
        return f"{len(fields)} fields, expected {len(schema)} ({','.join(name for name, _ in schema)})"
    for position, ((name, check), value) in enumerate(zip(schema, fields, strict=True), start=1):
        problem = check(value)
        if problem:
            return f"column {position} ({name}): {problem}"
    return None


def scan(lines: Iterable[bytes], schema: Schema, first_line: int = 2) -> Iterator[tuple]:
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
        try:
            fields = next(csv.reader([text]))
        except csv.Error as exc:
            yield line_no, text, [], f"not a CSV line ({exc})"
            continue
        yield line_no, text, fields, check_fields(fields, schema)


# --- the fast path's check of the bytes COPY reads ------------------------------------------------------

# Each byte as FastCheck sees it: a digit as d, a sign as itself, a comma or line end as a comma (so one
# pattern finds a field wherever it stands on its line), anything else as !.
_MAP = bytes(
    ord("d") if 48 <= byte <= 57 else ord(",") if byte in b",\r\n" else byte if byte in b"+-" else ord("!")
    for byte in range(256)
)
# A date field that is exactly dddd-dd-dd. Every match is a whole field (COPY refused a lone carriage
# return), and no field matches twice. Matches do not overlap, so of two such fields side by side (they
# share a comma) the first pattern finds one and the second pattern finds the pair; longer runs can only
# be counted short, which sends the file to the validating path.
_CANONICAL_DATES = (b",dddd-dd-dd,", b",dddd-dd-dd,dddd-dd-dd,")


def _canonical_dates(mapped: bytes, end: int, patterns: tuple[bytes, ...]) -> int:
    return sum(mapped.count(pattern, 0, end) for pattern in patterns)


def date_patterns(schema: Schema) -> tuple[bytes, ...]:
    """What ``FastCheck`` must count for a file of these columns (after COPY's success only a date column
    holds a dash inside a field): nothing without a date column; the pair pattern only when two date fields
    can stand side by side, on a line or as the last and the first field of two lines (each pass over the
    bytes costs about as much as the rest of the check)."""
    dated = [check in (date, optional_date) for _, check in schema]
    if not any(dated):
        return ()
    beside = any(dated[i] and dated[(i + 1) % len(dated)] for i in range(len(dated)))
    return _CANONICAL_DATES if beside else _CANONICAL_DATES[:1]


class FastCheck:
    """Reads a file's body through to COPY and notes whether the grammar could disagree with COPY's casts.

    ``plain`` stays True while every byte is a digit, comma, sign or line end (no quotes, blanks, letters,
    NUL); ``canonical_dates`` counts the date fields that are exactly ``dddd-dd-dd``. With COPY's success,
    ``plain`` and as many canonical date fields as non-NULL dates loaded, every value meets the grammar:
    an integer field cannot hold a dash inside, so a canonical match is always a whole date field.
    A few C-speed passes over each chunk (translate, find, count once per pattern), no per-line Python.
    ``patterns``: the date patterns to count (``date_patterns``), by default both.
    """

    def __init__(self, raw, patterns: tuple[bytes, ...] = _CANONICAL_DATES) -> None:
        self.raw = raw
        self.patterns = patterns
        self.plain = True
        self.canonical_dates = 0
        self._tail = b","  # the first line starts after the header's line end

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        if self.plain:
            if chunk:
                self._inspect(chunk)
            else:
                last = self._tail + b","  # the last line, with or without its line end
                self.canonical_dates += _canonical_dates(last, len(last), self.patterns)
                self._tail = b""
        return chunk

    def _inspect(self, chunk: bytes) -> None:
        mapped = self._tail + chunk.translate(_MAP)
        if b"!" in mapped:
            self.plain = False
            return
        end = mapped.rfind(b",")  # count whole fields only; the rest, from its comma, waits for the next chunk
        self.canonical_dates += _canonical_dates(mapped, end + 1, self.patterns)
        self._tail = mapped[end:]
