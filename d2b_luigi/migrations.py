"""Versioned schema migrations of the pipeline's own schemas, ``{id}_staging`` and ``{id}_analytics``.

Each file ``sql/migrations/NNNN_slug.sql`` is one change, applied in the order of its number (gaps are
fine) in a transaction of its own, together with its row in ``{id}_analytics.schema_migrations``. An
advisory lock per warehouse id makes concurrent upgrades apply each migration once: the second waits,
then sees it recorded. The dimension schema (``if_common``) is never migrated: migrations can only
name ``{staging}`` and ``{analytics}``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import socket
from collections.abc import Callable
from pathlib import Path

import psycopg2
from psycopg2 import sql

from d2b_luigi import sqlfiles

MIGRATIONS_DIR = sqlfiles.SQL_DIR / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The warehouse's schema cannot be brought to this release's version; the message says why."""


class SchemaTooNew(MigrationError):
    """The warehouse was migrated by a newer release than this one."""


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name without .sql, e.g. ``0001_initial``
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def __str__(self) -> str:
        try:
            return str(self.path.relative_to(sqlfiles.SQL_DIR.parent))
        except ValueError:
            return str(self.path)


def available(folder: Path | None = None) -> tuple[Migration, ...]:
    """This release's migrations, in order; a misnamed or doubly numbered file is an error that names it."""
    return scan(folder or MIGRATIONS_DIR)


@functools.cache
def scan(folder: Path) -> tuple[Migration, ...]:
    """The migrations in ``folder``, read once per process (``scan.cache_clear()`` to read it again)."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: a migration's name must be NNNN_lower_case_words.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: number {version:04d} is also used by {found[version].path.name}")
        found[version] = Migration(version, path.stem, path)
    return tuple(found[v] for v in sorted(found))


def release_version(folder: Path | None = None) -> int:
    """The schema version this release brings a warehouse to: the number of its last migration."""
    return available(folder)[-1].version


def _table(analytics: str) -> sql.Identifier:
    return sql.Identifier(analytics, "schema_migrations")


def applied_versions(cursor, analytics: str) -> dict[int, str]:
    """{version: name} recorded in the warehouse; empty when nothing was ever migrated (new or first release)."""
    cursor.execute("SELECT to_regclass(%s)", (_table(analytics).as_string(cursor),))
    if cursor.fetchone()[0] is None:
        return {}
    cursor.execute(sql.SQL("SELECT version, name FROM {}").format(_table(analytics)))
    return dict(cursor.fetchall())


def changed_since_applied(cursor, analytics: str, folder: Path | None = None) -> list[str]:
    """One line per applied migration whose file differs from what was applied (it should never be edited)."""
    if not applied_versions(cursor, analytics):
        return []
    cursor.execute(sql.SQL("SELECT version, checksum, applied_at, applied_by FROM {}").format(_table(analytics)))
    recorded = {version: rest for version, *rest in cursor.fetchall()}
    return [
        f"{m} changed after it was applied on {recorded[m.version][2]} at {recorded[m.version][1]:%Y-%m-%d %H:%M}: "
        f"this warehouse keeps what was applied then; write a change as a new migration"
        for m in available(folder)
        if m.version in recorded and recorded[m.version][0] != m.checksum
    ]


def describe(version: int, names: dict[int, str]) -> str:
    """``version 3 (0003_publish)``, or ``version 0 (no schema yet)``."""
    return f"version {version} ({names[version]})" if version in names else f"version {version} (no schema yet)"


def pending(applied: dict[int, str], folder: Path | None = None) -> list[Migration]:
    """The migrations still to apply, in order; raises when the warehouse is ahead of or apart from this release."""
    migrations = available(folder)
    release = migrations[-1].version
    current = max(applied, default=0)
    if current > release:
        names = {m.version: m.name for m in migrations}
        raise SchemaTooNew(
            f"the warehouse's schema is at {describe(current, applied)}, newer than this release's "
            f"{describe(release, names)}: install the release that migrated it (or a newer one)"
        )
    ours = {m.version for m in migrations}
    unknown = sorted(v for v in applied if v not in ours)
    if unknown:
        raise MigrationError(
            f"the warehouse recorded migration {applied[unknown[0]]}, which this release does not have: "
            f"it was applied by another build; install that build or one that includes it"
        )
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded != migration.name:
            raise MigrationError(
                f"the warehouse recorded migration {migration.version:04d} as {recorded}, "
                f"but this release's is {migration}: they are different changes"
            )
        if recorded is None and migration.version < current:
            raise MigrationError(
                f"{migration} is older than the warehouse's {describe(current, applied)} but was never applied: "
                f"renumber it after {current:04d}"
            )
    return [m for m in migrations if m.version > current]


def _statement(migration: Migration, staging: str, analytics: str) -> sql.Composed:
    try:
        return sqlfiles.compose(migration.text, staging=staging, analytics=analytics)
    except (KeyError, IndexError, ValueError) as exc:
        raise MigrationError(
            f"{migration}: bad placeholder {exc} (a migration may name {{staging}} and {{analytics}} only; "
            f"write a literal brace as {{{{ or }}}})"
        ) from None


def upgrade(
    connection,
    staging: str,
    analytics: str,
    *,
    dry_run: bool = False,
    folder: Path | None = None,
    on_applied: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Bring ``staging`` and ``analytics`` to this release's schema; the migrations applied (or, dry, pending).

    ``connection`` must not be in autocommit mode. Each migration commits on its own; one that fails is
    rolled back, the warehouse stays at the version before it, and the error names the file. ``on_applied``
    is told of each one as it commits (processes migrating at once each apply some: their logs interleave).
    """
    lock = sql.SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(sql.Literal(f"d2b_luigi:migrate:{analytics}"))
    with connection.cursor() as cursor:
        if dry_run:
            todo = pending(applied_versions(cursor, analytics), folder)
            connection.rollback()
            return todo
        cursor.execute(lock)
        cursor.execute(sqlfiles.statement("schema/migrations_table", staging=staging, analytics=analytics))
        connection.commit()
    done: list[Migration] = []
    while True:
        try:
            migration = _apply_next(connection, staging, analytics, lock, folder)
        except BaseException:
            connection.rollback()
            raise
        if migration is None:
            return done
        done.append(migration)
        if on_applied:
            on_applied(migration)


def _apply_next(connection, staging: str, analytics: str, lock: sql.Composed, folder: Path) -> Migration | None:
    """Apply and record the next pending migration in one transaction; None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(lock)  # held until this migration commits: a concurrent upgrade waits, then skips it
        applied = applied_versions(cursor, analytics)
        todo = pending(applied, folder)
        if not todo:
            connection.rollback()
            return None
        migration = todo[0]
        statement = _statement(migration, staging, analytics)
        adopting = not applied and _has_tables(cursor, [staging, analytics])
        try:
            cursor.execute(statement)
            if adopting:
                _check_adopted(cursor, migration, staging, analytics)
            cursor.execute(
                sql.SQL("INSERT INTO {} (version, name, checksum, applied_by) VALUES (%s, %s, %s, %s)").format(
                    _table(analytics)
                ),
                (migration.version, migration.name, migration.checksum, socket.gethostname()),
            )
            connection.commit()
        except psycopg2.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MigrationError(
                f"{migration} failed, nothing of it was applied; the warehouse stays at "
                f"{describe(max(applied, default=0), applied)}: {reason}"
            ) from exc
    return migration


def _has_tables(cursor, schemas: list[str]) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT FROM pg_tables WHERE schemaname = ANY(%s) AND tablename <> 'schema_migrations')",
        (schemas,),
    )
    return cursor.fetchone()[0]


def _signature(cursor, schema: str, placeholder: str) -> set[str]:
    """What a schema's tables look like (columns, types, keys, indexes), with its name written ``placeholder``."""
    cursor.execute(sqlfiles.statement("schema/signature"), {"schema": schema})
    names = (sql.Identifier(schema).as_string(cursor) + ".", schema + ".")
    return {
        row[0].replace(names[0], placeholder + ".").replace(names[1], placeholder + ".") for row in cursor.fetchall()
    }


def _check_adopted(cursor, migration: Migration, staging: str, analytics: str) -> None:
    """A warehouse built before schema versions takes the first migration as its own only if its tables
    are those the migration creates: compare them with a scratch copy built from the file, then drop it."""
    cursor.execute("SAVEPOINT adopt_check")
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    scratch = {name: f"d2b_adopt_check_{pid}_{name}" for name in ("staging", "analytics")}
    cursor.execute(_statement(migration, scratch["staging"], scratch["analytics"]))
    missing = []
    for name, schema in (("staging", staging), ("analytics", analytics)):
        expected = _signature(cursor, scratch[name], "{" + name + "}")
        missing += expected - _signature(cursor, schema, "{" + name + "}")
    missing.sort(key=lambda line: (not line.startswith("table "), line))  # whole tables first
    cursor.execute("ROLLBACK TO SAVEPOINT adopt_check")
    if missing:
        shown = "; ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise MigrationError(
            f"{staging} and {analytics} hold tables that differ from {migration}, the first release's schema, so "
            f"they cannot take it as version {migration.version}; nothing was applied. Missing or different: {shown}"
        )
