"""Everything that talks to the PostgreSQL warehouse: connections, steps, markers, COPY."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import IO

import luigi
import psycopg2
import psycopg2.errors
from psycopg2 import sql

from d2b_luigi import migrations, sqlfiles
from d2b_luigi.config import Settings

log = logging.getLogger("d2b_luigi")

COPY_CHUNK = 1 << 20


def connect(dsn: str, **kwargs) -> psycopg2.extensions.connection:
    """A new connection, in the ISO date style; errors name the server, never the password.

    The date style is a server option given when connecting (no round trip of its own: every step's process
    connects), after the DSN's own ``options``, or else ``PGOPTIONS``, which an ``options`` keyword replaces.
    """
    given = psycopg2.extensions.parse_dsn(dsn).get("options", os.environ.get("PGOPTIONS", ""))
    options = f"{given} -c datestyle=ISO,YMD".strip()
    try:
        return psycopg2.connect(dsn, application_name="d2b_luigi", connect_timeout=10, options=options, **kwargs)
    except psycopg2.OperationalError as exc:
        raise WarehouseUnreachable(f"cannot connect to the warehouse {mask_dsn(dsn)}: {_first_line(exc)}") from None


class WarehouseUnreachable(RuntimeError):
    pass


def mask_dsn(dsn: str) -> str:
    """The DSN with any password replaced by ``***``, safe to print."""
    dsn = re.sub(r"(://[^:/@?]*:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn, flags=re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def schemas(settings: Settings) -> dict[str, str]:
    """The placeholders every SQL file may use."""
    return {
        "staging": settings.staging_schema,
        "analytics": settings.analytics_schema,
        "common": settings.common_schema,
    }


def statement(settings: Settings, name: str, **parts: sql.Composable) -> sql.Composed:
    return sqlfiles.statement(name, **schemas(settings), **parts)


_current: set[tuple[int, str, str]] = set()


def ensure_schema(settings: Settings) -> list[migrations.Migration]:
    """Bring the id's schemas to this release's version, once per process; the migrations it applied.

    In short transactions of its own (one per migration): its advisory lock must not be held for a whole
    step, or steps in parallel worker processes would run one at a time.
    """
    if schema_is_current(settings):  # cached; else two reads on the shared connection, no lock
        return []
    connection = connect(settings.dsn)
    try:
        applied = migrations.upgrade(
            connection,
            settings.staging_schema,
            settings.analytics_schema,
            on_applied=lambda migration: log.info("%s: applied %s", settings.analytics_schema, migration),
        )
    finally:
        connection.close()
    _current.add((os.getpid(), settings.dsn, settings.id))
    return applied


def schema_versions(settings: Settings) -> dict[int, str]:
    """The migrations recorded in the warehouse, {version: name}; empty before the first."""
    with shared_connection(settings.dsn).cursor() as cursor:
        return migrations.applied_versions(cursor, settings.analytics_schema)


def schema_is_current(settings: Settings) -> bool:
    """True when the id's schemas are at this release's version (cached); raises when they are newer."""
    key = (os.getpid(), settings.dsn, settings.id)
    if key in _current:
        return True
    applied = schema_versions(settings)
    if migrations.pending(applied):
        return False
    _current.add(key)
    return True


_idle: dict[tuple[int, str], psycopg2.extensions.connection] = {}


@contextlib.contextmanager
def transaction(settings: Settings) -> Iterator:
    """A cursor in one transaction: committed when the block ends, rolled back on any error.

    The connection is kept for the process's next transaction (one connection setup per process, not
    per step); one that failed is closed, never reused.
    """
    ensure_schema(settings)
    key = (os.getpid(), settings.dsn)
    connection = _idle.pop(key, None)
    if connection is None or connection.closed:
        connection = connect(settings.dsn)
    try:
        with connection.cursor() as cursor:
            yield cursor
        connection.commit()
    except BaseException:
        connection.close()  # closing without commit rolls back
        raise
    _idle[key] = connection


def claim(cursor, settings: Settings, update_id: str) -> bool:
    """Take the step's lock for this transaction; False when another run finished the step meanwhile.

    A second run of the same step waits here for the first to commit or roll back, then sees its marker.
    """
    lock_step(cursor, settings, update_id)
    cursor.execute(marker_query(settings), (update_id,))
    return cursor.fetchone() is None


def lock_step(cursor, settings: Settings, update_id: str) -> None:
    """Take a step's lock (of this warehouse id) until the end of the transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{settings.id}:{update_id}",))


def wait_for_step(cursor, settings: Settings, update_id: str) -> None:
    """Wait until no transaction holds a step's lock (a run of the step now has committed or rolled back),
    without keeping it: taken and let go at once, at the session level."""
    key = f"{settings.id}:{update_id}"
    cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def marker_query(settings: Settings) -> sql.Composed:
    return sql.SQL("SELECT 1 FROM {}.task_markers WHERE update_id = %s").format(
        sql.Identifier(settings.analytics_schema)
    )


def touch(cursor, settings: Settings, update_id: str, target_table: str) -> None:
    cursor.execute(
        sql.SQL("INSERT INTO {}.task_markers (update_id, target_table) VALUES (%s, %s)").format(
            sql.Identifier(settings.analytics_schema)
        ),
        (update_id, target_table),
    )


def remove_markers(cursor, settings: Settings, update_ids: list[str]) -> None:
    cursor.execute(
        sql.SQL("DELETE FROM {}.task_markers WHERE update_id = ANY(%s)").format(
            sql.Identifier(settings.analytics_schema)
        ),
        (update_ids,),
    )


_shared: dict[tuple[int, str], psycopg2.extensions.connection] = {}


def shared_connection(dsn: str) -> psycopg2.extensions.connection:
    """One autocommit connection per process for completeness checks (luigi asks complete() often)."""
    key = (os.getpid(), dsn)
    connection = _shared.get(key)
    if connection is None or connection.closed:
        connection = connect(dsn)
        connection.autocommit = True
        _shared[key] = connection
    return connection


def query_all(settings: Settings, query, params=()) -> list[tuple]:
    """Run a read-only query on the shared connection; an undefined table or schema reads as no rows."""
    connection = shared_connection(settings.dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
        return []
    except psycopg2.OperationalError:
        connection.close()
        raise


def query_one(settings: Settings, query, params=()) -> tuple | None:
    """The first row of :func:`query_all`, or None."""
    return next(iter(query_all(settings, query, params)), None)


class MarkerTarget(luigi.Target):
    """Done when the marker row ``update_id`` exists; written in the same transaction as the step's rows."""

    def __init__(self, settings: Settings, update_id: str, target_table: str) -> None:
        self.settings = settings
        self.update_id = update_id
        self.target_table = target_table

    def exists(self) -> bool:
        return query_one(self.settings, marker_query(self.settings), (self.update_id,)) is not None

    def __repr__(self) -> str:
        return f"MarkerTarget({self.update_id!r})"


class TableTarget(luigi.Target):
    """Done when the table exists."""

    def __init__(self, settings: Settings, schema: str, table: str) -> None:
        self.settings = settings
        self.schema = schema
        self.table = table

    def exists(self) -> bool:
        row = query_one(self.settings, "SELECT to_regclass(%s)", (f'"{self.schema}"."{self.table}"',))
        return row is not None and row[0] is not None

    def __repr__(self) -> str:
        return f"TableTarget({self.schema}.{self.table})"


class SchemaTarget(luigi.Target):
    """Done when the id's schemas are at this release's schema version (``sql/migrations/``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def exists(self) -> bool:
        return schema_is_current(self.settings)

    def __repr__(self) -> str:
        return f"SchemaTarget({self.settings.id}, version {migrations.release_version()})"


class CountingReader:
    """A binary file wrapper that counts bytes and newlines as COPY reads it (C-speed, per 1 MiB chunk)."""

    def __init__(self, raw: IO[bytes], on_progress: Callable[[int], None] | None = None) -> None:
        self.raw = raw
        self.bytes = 0
        self.newlines = 0
        self.last_byte = b""
        self.on_progress = on_progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        if chunk:
            self.bytes += len(chunk)
            self.newlines += chunk.count(b"\n")
            self.last_byte = chunk[-1:]
            if self.on_progress:
                self.on_progress(self.bytes)
        return chunk

    @property
    def lines(self) -> int:
        """Lines in what was read, counting a last line without a trailing newline."""
        return self.newlines + (1 if self.last_byte not in (b"", b"\n") else 0)


def copy_in(cursor, table: sql.Composable, columns: list[str], stream: IO, freeze: bool = False) -> int:
    """Stream CSV (header already consumed) into ``table`` with one ``COPY … FROM STDIN``; return rows copied.

    ``freeze`` writes the rows frozen (the table must have been truncated in this subtransaction), which
    spares every later scan the work of setting hint bits.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv{})").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", FREEZE" if freeze else "")
    )
    cursor.copy_expert(statement, stream, size=COPY_CHUNK)
    return cursor.rowcount


def copy_out(cursor, query: sql.Composable, params: dict, sink: IO[bytes]) -> None:
    """Write the result of ``query`` as CSV with a header row to ``sink``."""
    bound = cursor.mogrify(query, params).decode()
    cursor.copy_expert(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv, HEADER true)", sink, size=COPY_CHUNK)
