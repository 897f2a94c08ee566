"""``d2b``: the few things luigi's own command does not do."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import sys
from pathlib import Path

import psycopg2.extensions

from d2b_luigi import generate, lake, migrations, warehouse
from d2b_luigi.catalog import SOURCES, TABLES
from d2b_luigi.config import ConfigError, settings
from d2b_luigi.warehouse import WarehouseUnreachable


def sample(args: argparse.Namespace) -> None:
    """Write the deterministic sample data set into the (local) landing and dimensions folders."""
    s = settings()
    landing = s.landing_url.format(date=args.as_of.isoformat(), id=s.id)
    if lake.is_s3(landing) or lake.is_s3(s.dimensions_url):
        sys.exit("d2b sample writes local folders only; unset D2B_LANDING_URL / D2B_DIMENSIONS_URL")
    if all((Path(landing) / f"{name}.csv").exists() for name in SOURCES) and not args.force:
        print(f"sample data already in {landing}")
        return
    counts = generate.generate(Path(landing), Path(s.dimensions_url), args.orders, args.as_of, args.seed)
    print(f"sample data written to {landing}: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


def show(args: argparse.Namespace) -> None:
    """Print the date's analytics rows and where their exports are."""
    s = settings()
    with warehouse.shared_connection(s.dsn).cursor() as cursor:
        for table in TABLES:
            print(f"\n{s.analytics_schema}.{table} for {args.date}:")
            cursor.execute(warehouse.statement(s, f"export/{table}"), {"run_date": args.date})
            row = cursor.fetchone()
            if row is None:
                print("  (no row)")
                continue
            for column, value in zip([c.name for c in cursor.description], row, strict=True):
                print(f"  {column:<24} {value}")
            url = s.export_file(args.date, table)
            print(f"  exported to {url}" if lake.target(s, url).exists() else f"  not exported yet ({url})")


def stop(args: argparse.Namespace) -> None:
    """Stop the embedded PostgreSQL (it keeps running between runs so they start fast)."""
    from d2b_luigi import embedded

    stopped = embedded.stop(settings().work_dir / "pg")
    print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL is not running")


def invalidate(args: argparse.Namespace) -> None:
    """Remove a step's targets for one date (and, with --downstream, of every step that needs it) to force a rerun."""
    from d2b_luigi import invalidate as inv
    from d2b_luigi.tasks.base import shown

    only = {key: value for key, value in (("name", args.name), ("table", args.table)) if value}
    try:
        tasks = inv.plan(args.task, args.date, downstream=args.downstream, only=only)
    except inv.InvalidateError as exc:
        sys.exit(f"d2b invalidate: {exc}")
    removed = inv.invalidate(tasks, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for line in removed:
        print(f"{verb} {line}")
    if not removed:
        print(f"nothing to remove: no target of {len(tasks)} step(s) exists")
    again = inv.redone(args.date, tasks)
    if again:
        verb = "would then redo" if args.dry_run else "redoes"
        print(f"the next `luigi --module d2b_luigi RunAll --date {args.date}` {verb} these {len(again)} steps:")
        print("\n".join(f"  {shown(task)}" for task in again))
    else:
        print(
            f"RunAll --date {args.date} {'would still be' if args.dry_run else 'is still'} complete, so it will not "
            "redo this. Run the step alone:\n"
            + "\n".join(f"  {inv.command(t)}" for t in tasks)
            + "\nor invalidate with --downstream."
        )


def migrate(args: argparse.Namespace) -> None:
    """Bring the warehouse's schemas to this release's version (RunAll does it first too); --dry-run lists."""
    s = settings()
    release = {m.version: m.name for m in migrations.available()}
    connection = warehouse.connect(s.dsn)
    try:
        with connection.cursor() as cursor:
            before = migrations.applied_versions(cursor, s.analytics_schema)
            for line in migrations.changed_since_applied(cursor, s.analytics_schema):
                print(f"warning: {line}")
        connection.rollback()
        print(
            f"{s.analytics_schema}: schema at {migrations.describe(max(before, default=0), before)}; this release: "
            f"{migrations.describe(migrations.release_version(), release)}"
        )
        done = migrations.upgrade(connection, s.staging_schema, s.analytics_schema, dry_run=args.dry_run)
    finally:
        connection.close()
    for migration in done:
        print(f"{'would apply' if args.dry_run else 'applied'} {migration}")
    if not done:
        print("nothing to apply")
    elif not args.dry_run:
        print(f"{s.analytics_schema}: schema now at {migrations.describe(done[-1].version, release)}")


def status(args: argparse.Namespace) -> None:
    """Print each step of a date (done or not, when, how long, how many rows) and its quality checks."""
    from d2b_luigi.status import date_status, format_status

    s = settings()
    result = date_status(s, args.date)
    print(format_status(s, result))
    if not result.done:
        sys.exit(1)


def report(args: argparse.Namespace) -> None:
    """Write a self-contained HTML report of a date: analytics rows, quality, timeline, reconciliation."""
    from d2b_luigi import report as html_report

    print(f"report written to {html_report.write(settings(), args.date, args.output)}")


def scheduler(args: argparse.Namespace) -> None:
    """Start or stop the central scheduler (luigid at D2B_SCHEDULER_HOST:D2B_SCHEDULER_PORT, with task history)."""
    from d2b_luigi import scheduler as luigid

    try:
        if args.action == "start":
            url = luigid.start(args.dir)
            print(
                f"luigid runs at {url} (history: {url}history, metrics: {url}metrics); "
                f"state, logs and pid file in {args.dir}"
            )
        elif luigid.stop(args.dir):
            print("luigid stopped")
        else:
            print(f"no luigid running from {args.dir}")
    except luigid.SchedulerError as exc:
        sys.exit(f"d2b scheduler: {exc}")


def psql(args: argparse.Namespace) -> None:
    """Open psql on the warehouse (embedded or not), with the pipeline's schemas on the search path."""
    s = settings()
    binary = shutil.which("psql")
    if binary is None:
        sys.exit("d2b psql: psql is not installed or not on PATH (Debian: apt-get install postgresql-client)")
    params = psycopg2.extensions.parse_dsn(s.dsn)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password  # never on the command line, where `ps` shows it
    env["PGOPTIONS"] = f"-c search_path={s.analytics_schema},{s.staging_schema},{s.common_schema},public"
    extra = args.psql_args[1:] if args.psql_args[:1] == ["--"] else args.psql_args
    os.execve(binary, ["psql", psycopg2.extensions.make_dsn(**params), *extra], env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="d2b", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("sample", help=sample.__doc__)
    p.add_argument(
        "--as-of", type=dt.date.fromisoformat, default=generate.SAMPLE_AS_OF, help="the run date the files land for"
    )
    p.add_argument("--orders", type=int, default=5000, help="how many orders (default 5000)")
    p.add_argument("--seed", type=int, default=42, help="same seed, same files")
    p.add_argument("--force", action="store_true", help="rewrite files that are already there")
    p.set_defaults(func=sample)

    p = commands.add_parser("show", help=show.__doc__)
    p.add_argument("--date", type=dt.date.fromisoformat, required=True)
    p.set_defaults(func=show)

    p = commands.add_parser("stop", help=stop.__doc__)
    p.set_defaults(func=stop)

    p = commands.add_parser("scheduler", help=scheduler.__doc__)
    p.add_argument("action", choices=("start", "stop"))
    p.add_argument("--dir", type=Path, default=Path("var/scheduler"), help="state, logs, pid file, history")
    p.set_defaults(func=scheduler)

    p = commands.add_parser("invalidate", help=invalidate.__doc__)
    p.add_argument("task", help="Download, LoadStaging, Transform, QualityCheck, Publish, Export or CleanUp")
    p.add_argument("--date", type=dt.date.fromisoformat, required=True)
    p.add_argument("--name", choices=SOURCES, help="only this landing file (Download, LoadStaging)")
    p.add_argument("--table", choices=list(TABLES), help="only this analytics table (Transform, Export)")
    p.add_argument("--downstream", action="store_true", help="also every step that depends on it")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    p.set_defaults(func=invalidate)

    p = commands.add_parser("migrate", help=migrate.__doc__)
    p.add_argument("--dry-run", action="store_true", help="list the migrations that would be applied, apply none")
    p.set_defaults(func=migrate)

    p = commands.add_parser("status", help=status.__doc__)
    p.add_argument("--date", type=dt.date.fromisoformat, required=True)
    p.set_defaults(func=status)

    p = commands.add_parser("report", help=report.__doc__)
    p.add_argument("--date", type=dt.date.fromisoformat, required=True)
    p.add_argument("--output", type=Path, help="the HTML file (default: {work dir}/report/{id}/{date}.html)")
    p.set_defaults(func=report)

    p = commands.add_parser("psql", help=psql.__doc__, usage="d2b psql [psql's options, e.g. -c 'select …']")
    p.set_defaults(func=psql)

    args, args.psql_args = parser.parse_known_args(argv)
    if args.psql_args and args.command != "psql":
        parser.error(f"unrecognized arguments: {' '.join(args.psql_args)}")
    try:
        args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`d2b status | head`): stop quietly, as command line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
    except (ConfigError, WarehouseUnreachable, lake.LakeUnreachable) as exc:
        # a setting or a system the operator must fix: one line, and the exit code the `luigi` command gives it
        print(f"d2b {args.command}: {exc}", file=sys.stderr)
        sys.exit(35)
    except migrations.MigrationError as exc:
        sys.exit(f"d2b {args.command}: {exc}")


if __name__ == "__main__":
    main()
