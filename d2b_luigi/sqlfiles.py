"""Load the SQL statements kept under ``sql/`` and bind the pipeline's schema names as quoted identifiers."""

from __future__ import annotations

import functools
from pathlib import Path

from psycopg2 import sql

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@functools.cache
def text(name: str) -> str:
    """The raw text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def statement(name: str, **parts: str | sql.Composable) -> sql.Composed:
    """``sql/<name>.sql`` with each ``{placeholder}`` replaced: a string as a quoted identifier, a
    composed statement as it is.

    Values are never formatted in: they stay ``%(name)s`` parameters for ``cursor.execute``.
    """
    return compose(text(name), **parts)


def compose(template: str, **parts: str | sql.Composable) -> sql.Composed:
    """``template`` with each ``{placeholder}`` replaced, as :func:`statement` does for a file."""
    return sql.SQL(template).format(
        **{key: sql.Identifier(value) if isinstance(value, str) else value for key, value in parts.items()}
    )


def names(folder: str) -> list[str]:
    """The statements in ``sql/<folder>/``, sorted, as names for :func:`statement`."""
    return sorted(f"{folder}/{path.stem}" for path in (SQL_DIR / folder).glob("*.sql"))
