"""The d2b_luigi benchmark (``make bench``): loads, whole runs, runs with nothing to do, parallelism, two hosts.

Everything runs side by side in one go against one PostgreSQL, so the numbers that matter are ratios.
It prints a table and, last, one machine-readable line ``BENCH key=value ...``.

Environment: ``BENCH_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``; the bench works
in schemas named ``bench_*`` and drops them at the end), ``BENCH_QUICK=1`` (no 10M run, fewer
repetitions), ``BENCH_DIR`` (default ``var/bench``: generated data, kept for the next run; work dirs; logs).
Run it from the project root (``make bench`` does), where luigi finds ``luigi.cfg``: the whole runs use its
defaults, as cron does (``--workers`` only where a section compares worker counts).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import luigi
import luigi.contrib.postgres
import psycopg2
import psycopg2.extensions
from luigi.task_register import Register
from psycopg2 import sql

from d2b_luigi import generate, migrations, sqlfiles
from d2b_luigi.tasks.dimensions import Dimensions
from d2b_luigi.tasks.extract import Download
from d2b_luigi.tasks.load import CreateStagingTable, LoadStaging
from d2b_luigi.tasks.schema import MigrateSchema

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
WORK = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench")).resolve()
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, **({} if QUICK else {"10m": 10_000_000})}
SOURCES = {
    "orders": "order_id,customer_id,order_date,product_id,unit_price,quantity,total_price",
    "reviews": "review,product_id",
    "shipment_deliveries": "shipment_id,order_id,shipment_date,delivery_date",
}
STEPS = ("Download", "LoadStaging", "Transform", "QualityCheck", "Export", "CleanUp")
COMMON = "bench_common"
SEED = 42

AS_OF = generate.SAMPLE_AS_OF
RUN_ALL = ("RunAll", "--date", AS_OF.isoformat())


def log(message: str) -> None:
    """Progress, on stderr, so stdout is the report."""
    print(f"# {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_task(task: luigi.Task) -> Callable[[], None]:
    """``task.run``, callable outside a luigi worker (which would give it the scheduler's status callbacks)."""

    def run() -> None:
        task.set_status_message = task.set_progress_percentage = task.set_tracking_url = lambda *_: None
        task.run()

    return run


@dataclass
class Run:
    """One ``luigi`` command: wall time, peak memory, its output; with ``steps``: seconds inside the tasks'
    ``run()`` per step family (summed over tasks that ran at once), and ``busy``: the wall time during which
    at least one task was inside ``run()``."""

    wall: float
    rss_mb: float
    output: str
    steps: dict[str, float] = field(default_factory=dict)
    busy: float = 0.0
    cpu: float = 0.0  # how busy the machine's CPUs were meanwhile (CpuBusy)


class PeakMemory(threading.Thread):
    """Follow a command and the worker processes it forks until it exits: the peak of their summed memory.

    Each process counts its proportional set size (PSS, ``/proc/<pid>/smaps_rollup``): pages a forked worker
    still shares with its parent count once in all, not once per process (as RSS would). Sampled every
    10 ms; the command's own ``VmHWM`` (the kernel's exact high-water mark) is a floor. (``wait4``'s
    ``ru_maxrss`` would not do: it counts the memory of this process, forked before the exec.)
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.kib = 0

    def run(self) -> None:
        ours = Path("/proc/self/cmdline").read_bytes()
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                text = status.read_text()
                if "State:\tZ" in text:
                    return
                if Path(f"/proc/{self.pid}/cmdline").read_bytes() == ours:
                    time.sleep(0.01)  # not exec'd yet: still the forked copy of this process
                    continue
                hwm = next(int(line.split()[1]) for line in text.splitlines() if line.startswith("VmHWM:"))
                self.kib = max(self.kib, hwm, sum(_pss_kib(pid) for pid in [self.pid, *_descendants(self.pid)]))
            except (FileNotFoundError, ProcessLookupError, StopIteration):
                return
            time.sleep(0.01)


def _descendants(root: int) -> list[int]:
    """Every live process below ``root``, from the kernel's lists of each thread's children
    (``/proc/<pid>/task/<tid>/children``): the cost grows with the tree, not with the machine's processes
    (a scan of all of ``/proc`` every 10 ms took a tenth of a core, slowing the very runs it measured)."""
    found, todo = [], [root]
    while todo:
        below = []
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                below += [int(pid) for pid in children.read_text().split()]
            except OSError:  # the thread or process ended meanwhile
                continue
        found += below
        todo += below
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # the process ended meanwhile: it holds no memory
        return 0
    return 0


def measured(command: list[str], log_path: Path, **popen) -> tuple[float, float, str]:
    """Run ``command``; its wall time, its peak memory in MB (``PeakMemory``), and its output (also kept in
    ``log_path``)."""
    with open(log_path, "w+", encoding="utf-8") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
        peak = PeakMemory(process.pid)
        peak.start()
        process.wait()
        wall = time.perf_counter() - start
        peak.join()
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise CommandFailed(f"{' '.join(command)} exited {process.returncode}; see {log_path}", output)
    return wall, peak.kib / 1024, output


class CommandFailed(RuntimeError):
    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output

    def reason(self) -> str:
        """The command's first line that says what failed (d2b_luigi's FAILED/MISSING/ERROR lines, luigi's own)."""
        for line in self.output.splitlines():
            if line.startswith(("FAILED", "MISSING", "ERROR")) or "Unfulfilled dependency" in line:
                return line.strip()[:300]
        return str(self)


class Luigid:
    """A luigid of the bench's own on a free port, in the foreground of a child process (``with`` it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def __enter__(self) -> int:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        command = [str(BIN / "luigid"), "--address", "127.0.0.1", "--port", str(self.port)]
        command += ["--state-path", str(self.folder / "state.pickle"), "--logdir", str(self.folder)]
        self.log = open(self.folder / "luigid.out", "w", encoding="utf-8")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self.port
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"luigid did not start; see {self.folder / 'luigid.out'}") from None
                time.sleep(0.1)

    def __exit__(self, *_) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


class Warehouse:
    """The benchmark's PostgreSQL: schemas, identically defined baseline tables, raw ``\\copy`` with psql."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.connection = psycopg2.connect(dsn)
        self.connection.autocommit = True

    def execute(self, statement, params: tuple | None = None) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def drop_bench_schemas(self) -> None:
        for (schema,) in self.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'"):
            self.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def create_staging_tables(self, schema: str, names=tuple(SOURCES)) -> None:
        """The pipeline's own staging tables (sql/migrations/, and the run date's partition), in another schema."""
        connection = psycopg2.connect(self.dsn)
        try:
            migrations.upgrade(connection, schema, f"{schema}_meta")  # the analytics tables go to {schema}_meta
        finally:
            connection.close()
        for name in names:
            if self.execute("SELECT to_regclass(%s)", (f'"{schema}"."{leaf(name)}"',))[0][0]:
                continue
            self.execute(
                sqlfiles.statement(
                    "ddl/staging_partition",
                    partition=sql.Identifier(schema, leaf(name)),
                    parent=sql.Identifier(schema, name),
                ),
                {"run_date": AS_OF},
            )

    def truncate(self, schema: str, names=tuple(SOURCES)) -> None:
        self.execute("TRUNCATE " + ", ".join(f'"{schema}"."{n}"' for n in names))

    def settle(self) -> None:
        """Flush dirty buffers before a timed step, so one step does not pay for the last one's writes."""
        try:
            self.execute("CHECKPOINT")
        except psycopg2.Error:
            pass  # not a superuser (or pg_checkpoint): measure without

    def psql_copy(self, schema: str, files: dict[str, Path]) -> float:
        """Seconds for ``psql -c "\\copy ..."`` of ``files`` into ``schema``, one psql process."""
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.dsn]
        for name, path in files.items():
            table = f"{schema}.{leaf(name)}"  # the run date's partition, as the pipeline's load
            command += ["-c", f"\\copy {table} ({SOURCES[name]}) FROM '{path}' WITH (FORMAT csv, HEADER true)"]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        return time.perf_counter() - start

    def count(self, table: str) -> int:
        return self.execute(f"SELECT count(*) FROM {table}")[0][0]

    def analytics(self, pipeline_id: str, date: dt.date) -> list[tuple]:
        rows = []
        for table in ("agg_public_holiday", "agg_shipments", "best_performing_product"):
            rows += self.execute(
                f'SELECT * FROM "{pipeline_id}_analytics"."{table}" WHERE ingestion_date = %s', (date,)
            )
        return rows


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (runnable processes; this machine has os.cpu_count() CPUs)."""
    return " / ".join(f"{load:.1f}" for load in os.getloadavg())


def cpu_times() -> tuple[int, int]:
    """The machine's CPU time so far, busy and in all, in clock ticks summed over its CPUs (``/proc/stat``:
    busy is user, nice, system, irq, softirq and steal; the rest is idle and iowait)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    busy_ticks = user + nice + system + irq + softirq + steal
    return busy_ticks, busy_ticks + idle + iowait


class CpuBusy:
    """``with CpuBusy() as cpu: …``, then ``cpu.share``: how busy all the machine's CPUs were meanwhile (0 to 1).
    Work that leaves CPUs idle can be sped up by running more of it at once; work at 100 % only by doing less."""

    share = 0.0

    def __enter__(self) -> CpuBusy:
        self.start = cpu_times()
        return self

    def __exit__(self, *exc) -> None:
        busy_ticks, all_ticks = (end - start for end, start in zip(cpu_times(), self.start, strict=True))
        self.share = busy_ticks / all_ticks if all_ticks else 0.0


def busy(spans: list[tuple[float, float]]) -> float:
    """The length of the union of ``(start, end)`` intervals: time during which at least one ran."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def leaf(name: str) -> str:
    """The staging partition a load of the run date writes to (d2b_luigi.tasks.load.partition)."""
    return f"{name}_{AS_OF:%Y%m%d}"


class Bench:
    def __init__(self) -> None:
        self.db = Warehouse(DSN)
        self.results: dict[str, float] = {}
        self.dimensions = WORK / "data" / "dimensions"
        self.locks = WORK / "locks"
        self.logs = WORK / "logs"

    # --- data -------------------------------------------------------------------------------------------

    def dataset(self, label: str) -> Path:
        """The landing folder of a generated data set; generated once, kept under BENCH_DIR."""
        folder = WORK / "data" / f"{label}-seed{SEED}-{AS_OF.isoformat()}"
        if not (folder / "orders.csv").exists():
            wall, rss_mb = self.generate(folder, SIZES[label])
            log(f"generated {label} orders in {wall:.1f} s, peak RSS {rss_mb:.0f} MB")
        return folder

    def generate(self, folder: Path, orders: int, dimensions: bool = True) -> tuple[float, float]:
        """``python -m d2b_luigi.generate``: its wall time and peak RSS."""
        self.logs.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "d2b_luigi.generate", "--landing", str(folder), "--orders", str(orders)]
        command += ["--as-of", AS_OF.isoformat(), "--seed", str(SEED)]
        command += ["--dimensions", str(self.dimensions)] if dimensions else []
        wall, rss_mb, _ = measured(command, self.logs / f"generate-{orders}.log")
        return wall, rss_mb

    def files(self, landing: Path, names=tuple(SOURCES)) -> dict[str, Path]:
        return {name: landing / f"{name}.csv" for name in names}

    # --- running the pipeline ---------------------------------------------------------------------------

    def env(self, pipeline_id: str, landing: Path) -> dict[str, str]:
        """A deployment of its own: schemas ``{pipeline_id}_*``, the shared bench dimensions, its own dirs."""
        return {
            "D2B_WAREHOUSE_DSN": DSN,
            "D2B_ID": pipeline_id,
            "D2B_COMMON_SCHEMA": COMMON,
            "D2B_LANDING_URL": str(landing),
            "D2B_DIMENSIONS_URL": str(self.dimensions),
            "D2B_SEED_DIMENSIONS": "true",
            "D2B_EXPORT_URL": str(WORK / "export" / "{id}" / "{date}"),
            "D2B_WORK_DIR": str(WORK / "work" / pipeline_id),
        }

    def luigi(
        self,
        pipeline_id: str,
        landing: Path,
        *args: str,
        workers: int | None = None,
        steps: bool = False,
        scheduler_port: int | None = None,
        host: str = "",
        config: Path | None = None,
    ) -> Run:
        """Run the ``luigi`` command in a subprocess: its wall time and its peak memory (``PeakMemory``).

        ``workers=None`` leaves the worker count to luigi.cfg, as cron does. ``steps=True`` runs ``--module
        steptimes`` (the same tasks plus a timing event handler). ``scheduler_port``: run against that luigid
        instead of ``--local-scheduler``; ``host`` names a simulated host with its own work dir and lock dir;
        ``config``: a luigi config file read after luigi.cfg (``LUIGI_CONFIG_PATH``).
        """
        locks = self.locks / host if host else self.locks
        locks.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        name = f"{pipeline_id}{'-' + host if host else ''}-{len(list(self.logs.iterdir())):03d}"
        step_log = self.logs / f"{name}.steps"
        command = [str(BIN / "luigi"), "--module", "steptimes" if steps else "d2b_luigi", *args]
        if scheduler_port is None:
            command += ["--local-scheduler"]
        else:
            command += ["--scheduler-host", "127.0.0.1", "--scheduler-port", str(scheduler_port)]
        command += ["--workers", str(workers)] if workers is not None else []
        command += ["--lock-pid-dir", str(locks)]
        env = {
            **os.environ,
            **self.env(pipeline_id, landing),
            "PYTHONPATH": str(BENCH),
            "BENCH_STEP_LOG": str(step_log),
        }
        if host:
            env["D2B_WORK_DIR"] = str(WORK / "work" / pipeline_id / host)
        if config:
            env["LUIGI_CONFIG_PATH"] = str(config)
        with CpuBusy() as cpu:
            wall, rss_mb, output = measured(command, self.logs / f"{name}.log", cwd=ROOT, env=env)
        families: dict[str, float] = {}
        spans: list[tuple[float, float]] = []
        if step_log.exists():
            for line in step_log.read_text().splitlines():
                family, _, seconds, ended = line.split("\t")
                families[family] = families.get(family, 0.0) + float(seconds)
                spans.append((float(ended) - float(seconds), float(ended)))
        return Run(wall, rss_mb, output, families, busy(spans), cpu.share)

    def build_in_process(self, pipeline_id: str, landing: Path, tasks: Callable[[], list[luigi.Task]]) -> None:
        """Build ``tasks()`` in this process, for deployment ``pipeline_id`` (the tasks are made once it is set)."""
        os.environ.update(self.env(pipeline_id, landing))
        Register.clear_instance_cache()
        result = luigi.build(tasks(), local_scheduler=True, workers=1, log_level="WARNING", detailed_summary=True)
        if result.status != luigi.LuigiStatusCode.SUCCESS:
            raise RuntimeError(result.summary_text)

    def deployment(self, pipeline_id: str, landing: Path) -> str:
        """A deployment whose schemas exist (migrated here, untimed), as for every daily run after the first."""
        self.build_in_process(pipeline_id, landing, lambda: [MigrateSchema()])
        return pipeline_id

    def timed(self, prepare: Callable[[], None], action: Callable[[], None]) -> float:
        prepare()
        self.db.settle()
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    def raw_copy(self, landing: Path, names=tuple(SOURCES)) -> float:
        """Seconds for psql's ``\\copy`` of the data set's files into empty ``bench_raw`` tables."""
        self.db.truncate("bench_raw", names)
        self.db.settle()
        return self.db.psql_copy("bench_raw", self.files(landing, names))

    def say(self, line: str = "") -> None:
        print(line, flush=True)

    # --- 0: the generator ------------------------------------------------------------------------------

    def generator(self) -> None:
        scratch = WORK / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        small = self.generate(scratch, 100_000, dimensions=False)
        big = self.generate(scratch, 1_000_000, dimensions=False)
        shutil.rmtree(scratch, ignore_errors=True)
        self.results["gen_1m_s"] = big[0]
        self.results["gen_rss_mb_1m"] = big[1]
        self.say("0. Generator (python -m d2b_luigi.generate): wall time and peak RSS")
        self.say(f"   100k orders  {small[0]:6.2f} s  {small[1]:5.0f} MB")
        self.say(f"   1M orders    {big[0]:6.2f} s  {big[1]:5.0f} MB   (flat memory: same RSS for 10x the rows)")
        self.say()

    # --- 1 and 2: loading one file ----------------------------------------------------------------------

    def loads(self) -> None:
        landing = self.dataset("1m")
        pipeline_id = "bench_load"
        staging = f"{pipeline_id}_staging"
        markers = f"{pipeline_id}_analytics.task_markers"
        self.build_in_process(
            pipeline_id,
            landing,
            lambda: [Dimensions(), Download(date=AS_OF, name="orders"), CreateStagingTable(name="orders")],
        )
        self.db.create_staging_tables("bench_raw", ["orders"])

        def reset_ours() -> None:
            self.db.truncate(staging, ["orders"])
            self.db.execute(f"DELETE FROM {markers} WHERE update_id LIKE 'LoadStaging:%'")

        repeats = 3 if QUICK else 5
        ours, raw = [], []
        for _ in range(repeats):
            ours.append(self.timed(reset_ours, run_task(LoadStaging(date=AS_OF, name="orders"))))
            assert self.db.count(f"{staging}.orders") == SIZES["1m"]
            raw.append(self.raw_copy(landing, ["orders"]))
            assert self.db.count("bench_raw.orders") == SIZES["1m"]
        ours_s, raw_s = median(ours), median(raw)
        self.results["load_vs_copy"] = ours_s / raw_s
        orders = landing / "orders.csv"
        size = orders.stat().st_size / 1e6
        self.say(
            f"1. Load vs raw COPY: 1M-row orders.csv ({size:.1f} MB) into identically defined tables, "
            f"median of {repeats}"
        )
        self.say(f"   psql \\copy                               {raw_s:7.2f} s")
        self.say(f"   d2b_luigi LoadStaging.run()               {ours_s:7.2f} s   {ours_s / raw_s:5.2f}x copy")
        self.say()

        stock = StockCopyToTable(path=str(orders), run_date=AS_OF)
        self.db.create_staging_tables("bench_stock", ["orders"])
        stock_s = self.timed(lambda: None, stock.run)
        assert self.db.count("bench_stock.orders") == SIZES["1m"]
        self.db.create_staging_tables("bench_pandas", ["orders"])
        pandas_s = self.timed(lambda: None, lambda: pandas_load(orders, "bench_pandas"))
        assert self.db.count("bench_pandas.orders") == SIZES["1m"]
        self.results["stock_vs_ours"] = stock_s / ours_s
        self.results["pandas_vs_ours"] = pandas_s / ours_s
        self.say("2. What users would write instead, same file, one run each")
        self.say(f"   luigi CopyToTable, rows() via csv.reader  {stock_s:7.2f} s   {stock_s / ours_s:5.1f}x ours")
        self.say(f"   pandas read_csv + to_sql (SQLAlchemy)     {pandas_s:7.2f} s   {pandas_s / ours_s:5.1f}x ours")
        self.say()

    # --- 3: end to end ----------------------------------------------------------------------------------

    def end_to_end(self) -> None:
        self.db.create_staging_tables("bench_raw")
        header = f"   {'orders':>6} {'wall s':>7} {'mem MB':>7} {'cpu':>4}"
        header += "".join(f" {s[:9]:>9}" for s in (*STEPS, "idle")) + "  \\copy 3 wall/cp"
        repeats = "one run" if QUICK else "median of 3 runs"
        self.say(
            f"3. End to end: RunAll for one date, luigi.cfg as shipped ({luigi.interface.core().workers} workers), "
            f"schemas already migrated, {repeats}"
        )
        self.say("   step columns: seconds inside the tasks' run(), summed over a step's tasks (tasks that run at once")
        self.say("   overlap); idle: wall time with no task inside run() (start-up, scheduling, completeness checks,")
        self.say("   forks); mem: peak of the command and its worker processes (summed PSS); \\copy 3: one psql \\copy")
        self.say(
            "   of the same 3 files after the other; wall/cp: wall time / \\copy 3; cpu: how busy all of the machine's"
        )
        self.say(
            f"   {os.cpu_count()} CPUs were during the run (at 100 % only less work is faster, not more parallelism)"
        )
        self.say(header)
        runs: dict[str, Run] = {}
        for label in SIZES:
            landing = self.dataset(label)
            tries = []
            for attempt in range(1 if QUICK else 3):
                pipeline_id = self.deployment(f"bench_e2e_{label}_{attempt}", landing)
                self.db.settle()
                tries.append(self.luigi(pipeline_id, landing, *RUN_ALL, steps=True))
            run = runs[label] = sorted(tries, key=lambda r: r.wall)[len(tries) // 2]
            run.rss_mb = max(r.rss_mb for r in tries)
            copy_s = median([self.raw_copy(landing) for _ in range(1 if QUICK else 3)])
            row = f"   {label:>6} {run.wall:7.2f} {run.rss_mb:7.0f} {run.cpu:4.0%}"
            row += (
                "".join(f" {run.steps.get(s, 0.0):9.2f}" for s in STEPS)
                + f" {run.wall - run.busy:9.2f} {copy_s:8.2f} {run.wall / copy_s:7.2f}"
            )
            self.say(row)
            if label in ("1m", "10m"):
                self.results[f"e2e_{label}_vs_copy"] = run.wall / copy_s
        self.results["e2e_1m_s"] = runs["1m"].wall
        if "10m" in runs:
            self.results["peak_rss_mb_10m"] = runs["10m"].rss_mb
            self.results["e2e_10m_vs_1m"] = runs["10m"].wall / runs["1m"].wall
        self.say()

    # --- 4: nothing to do -------------------------------------------------------------------------------

    def noop(self) -> None:
        landing = self.dataset("1m")
        noop = [self.luigi("bench_e2e_1m_0", landing, *RUN_ALL) for _ in range(3 if QUICK else 5)]
        assert all("Did not run any tasks" in run.output for run in noop)

        small = self.dataset("10k")
        first, stop = AS_OF - dt.timedelta(days=29), AS_OF + dt.timedelta(days=1)
        now = str(int(dt.datetime.combine(stop, dt.time(), dt.timezone.utc).timestamp()))
        range_args = ("RangeDaily", "--of", "RunAll", "--start", first.isoformat(), "--stop", stop.isoformat())
        range_args += ("--days-back", "60", "--now", now)
        backfill = self.luigi("bench_range", small, *range_args, workers=2)
        done = self.db.execute(
            "SELECT count(*) FROM bench_range_analytics.task_markers WHERE update_id LIKE 'CleanUp:%'"
        )
        assert done == [(30,)], done
        noop_range = [self.luigi("bench_range", small, *range_args) for _ in range(3)]
        assert all("Did not run any tasks" in run.output for run in noop_range)
        self.results["noop_s"] = median([r.wall for r in noop])
        self.results["noop_30d_s"] = median([r.wall for r in noop_range])
        self.say("4. Nothing to do (wall time of the whole luigi command, median)")
        self.say(f"   RunAll of a finished date                         {self.results['noop_s']:6.2f} s")
        self.say(f"   RangeDaily --of RunAll over 30 finished dates     {self.results['noop_30d_s']:6.2f} s")
        self.say(f"   (setting up: the 30-date backfill at 10k orders, --workers 2, took {backfill.wall:.1f} s)")
        self.say()

    # --- 5: parallelism ---------------------------------------------------------------------------------

    def parallel(self) -> None:
        landing = self.dataset("1m")
        first, stop = AS_OF - dt.timedelta(days=3), AS_OF + dt.timedelta(days=1)
        now = str(int(dt.datetime.combine(stop, dt.time(), dt.timezone.utc).timestamp()))
        args = ("RangeDaily", "--of", "RunAll", "--start", first.isoformat(), "--stop", stop.isoformat(), "--now", now)
        walls: dict[int, list[float]] = {1: [], 2: []}
        for attempt in range(1 if QUICK else 2):
            for workers in (1, 2) if attempt % 2 == 0 else (2, 1):
                pipeline_id = self.deployment(f"bench_w{workers}_{attempt}", landing)
                self.db.settle()
                walls[workers].append(self.luigi(pipeline_id, landing, *args, workers=workers).wall)
                assert self.db.analytics(pipeline_id, AS_OF) == self.db.analytics("bench_e2e_1m_0", AS_OF)
        w1, w2 = median(walls[1]), median(walls[2])
        # What this machine gives two loads at once: raw psql \copy of two files, one after the other vs together.
        self.db.create_staging_tables("bench_raw2", ["orders"])
        sequential, together = [], []
        files = {"orders": landing / "orders.csv"}
        for _ in range(3):
            self.db.truncate("bench_raw", ["orders"])
            self.db.truncate("bench_raw2", ["orders"])
            self.db.settle()
            start = time.perf_counter()
            self.db.psql_copy("bench_raw", files)
            self.db.psql_copy("bench_raw2", files)
            sequential.append(time.perf_counter() - start)
            self.db.truncate("bench_raw", ["orders"])
            self.db.truncate("bench_raw2", ["orders"])
            self.db.settle()
            start = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda schema: self.db.psql_copy(schema, files), ("bench_raw", "bench_raw2")))
            together.append(time.perf_counter() - start)
        self.results["workers2_speedup"] = w1 / w2
        self.results["copy2_speedup"] = median(sequential) / median(together)
        runs = f"median of {len(walls[1])}" if len(walls[1]) > 1 else "one run each"
        self.say(f"5. Parallelism: RangeDaily over 4 dates, 1M orders each ({runs})")
        self.say(f"   --workers 1  {w1:6.2f} s")
        self.say(f"   --workers 2  {w2:6.2f} s   speed-up {w1 / w2:.2f}x (every run gives the rows of the 1-date run)")
        self.say(
            f"   for scale, two raw psql \\copy of orders.csv at once vs one after the other: "
            f"speed-up {self.results['copy2_speedup']:.2f}x"
        )
        self.say()

    # --- 6: two hosts on one luigid ----------------------------------------------------------------------

    def hosts(self) -> None:
        """4 dates: one worker process on a luigid, and two at once (separate work and lock dirs, as two hosts),
        each with the worker hosts' settings of ``config/hosts.cfg`` (when this release has them); in
        alternating rounds (this machine's speed drifts), each in fresh schemas and on a fresh luigid."""
        landing = self.dataset("1m")
        first, stop = AS_OF - dt.timedelta(days=3), AS_OF + dt.timedelta(days=1)
        now = str(int(dt.datetime.combine(stop, dt.time(), dt.timezone.utc).timestamp()))
        args = ("RangeDaily", "--of", "RunAll", "--start", first.isoformat(), "--stop", stop.isoformat(), "--now", now)
        dates = [first + dt.timedelta(days=n) for n in range(4)]
        rounds = 1 if QUICK else 3
        config = ROOT / "config" / "hosts.cfg"
        config = config if config.is_file() else None
        on_luigid = {"workers": 1, "steps": True, "config": config}
        self.say("6. Two hosts on one luigid: RangeDaily over 4 dates, 1M orders each, each process --workers 1 with")
        self.say(f"   its own work dir and lock dir; one process, then two at once, {rounds} alternating rounds")
        self.say(f"   settings: luigi.cfg{' + config/hosts.cfg' if config else ''}")
        ones: list[Run] = []
        twos: list[tuple[float, float, list[Run]]] = []
        try:
            for attempt in range(rounds):
                for processes in (1, 2) if attempt % 2 == 0 else (2, 1):
                    pipeline_id = self.deployment(f"bench_h{processes}_{attempt}", landing)
                    self.db.settle()
                    with Luigid(WORK / f"luigid-{processes}-{attempt}") as port, CpuBusy() as cpu:
                        run = functools.partial(
                            self.luigi, pipeline_id, landing, *args, scheduler_port=port, **on_luigid
                        )
                        if processes == 1:
                            ones.append(run(host="a"))
                            continue
                        start = time.perf_counter()
                        with ThreadPoolExecutor(2) as pool:
                            both = [future.result() for future in [pool.submit(run, host=h) for h in "ab"]]
                        wall = time.perf_counter() - start
                    twos.append((wall, cpu.share, both))
                    self._check_two_hosts(pipeline_id, both)
        except CommandFailed as exc:
            self.say(f"   not measured: a process failed: {exc.reason()}")
            self.say()
            return
        for date in dates:
            alone = self.db.analytics("bench_h1_0", date)
            for pipeline_id in [f"bench_h{n}_{attempt}" for n in (1, 2) for attempt in range(rounds)]:
                assert self.db.analytics(pipeline_id, date) == alone, (pipeline_id, date)
        assert self.db.analytics("bench_h1_0", AS_OF) == self.db.analytics("bench_e2e_1m_0", AS_OF)
        one_s = median([run.wall for run in ones])
        two_s = median([wall for wall, _, _ in twos])
        one_cpu = median([run.cpu for run in ones])
        self.results["hosts2_speedup"] = one_s / two_s
        self.results["hosts1_cpu_busy"] = one_cpu
        _, two_cpu, both = sorted(twos, key=lambda two: two[0])[len(twos) // 2]
        split = ", ".join(f"{sum(r.steps.values()):.1f} s in tasks on {h}" for h, r in zip("ab", both, strict=True))
        walls = [" ".join(f"{wall:.2f}" for wall in walls) for walls in ([r.wall for r in ones], [t[0] for t in twos])]
        self.say(f"   one process    {one_s:6.2f} s   CPUs busy {one_cpu:4.0%}   (rounds: {walls[0]} s)")
        self.say(f"   two processes  {two_s:6.2f} s   CPUs busy {two_cpu:4.0%}   (rounds: {walls[1]} s)")
        self.say(f"   speed-up {one_s / two_s:.2f}x, medians; the median round of two: {split}")
        self.say(
            f"   (the CPUs {one_cpu:.0%} busy for one process: for the same work two can be at most "
            f"{1 / max(one_cpu, 0.01):.2f}x faster on this machine)"
        )
        self.say("   (both give the rows of the one-process run, for every date; no database step was done twice)")
        self.say()

    def _check_two_hosts(self, pipeline_id: str, both: list[Run]) -> None:
        """Both processes ran tasks, and none of the database steps was done twice."""
        twice = self.db.execute(
            sql.SQL(
                "SELECT step_id, count(*) FROM {} WHERE status = 'done'"
                " AND task_family IN ('LoadStaging', 'Transform', 'QualityCheck', 'Publish', 'Export', 'CleanUp')"
                " GROUP BY step_id HAVING count(*) > 1"
            ).format(sql.Identifier(f"{pipeline_id}_analytics", "run_log"))
        )
        assert twice == [], f"{pipeline_id}: database steps done twice: {twice}"
        assert all(run.steps for run in both), f"{pipeline_id}: one of the two processes ran no task"

    # --- the whole thing --------------------------------------------------------------------------------

    def targets(self) -> None:
        """Issue 9's limits, with the default configuration (luigi.cfg as shipped)."""
        r = self.results
        checks = [
            ("load_vs_copy", "<=", 1.15),
            ("e2e_1m_vs_copy", "<=", 1.8),
            ("e2e_10m_vs_copy", "<=", 1.6),
            ("peak_rss_mb_10m", "<=", 250),
            ("noop_s", "<=", 0.5),
            ("noop_30d_s", "<=", 2.0),
            ("hosts2_speedup", ">=", 1.3),
        ]
        self.say("Targets")
        for key, sense, limit in checks:
            value = r.get(key)
            if value is None:
                verdict = "not measured (BENCH_QUICK)" if QUICK and "10m" in key else "not measured"
            else:
                verdict = "met" if (value <= limit if sense == "<=" else value >= limit) else "MISSED"
            shown = "" if value is None else f"{value:.2f}"
            self.say(f"   {f'{key} {sense} {limit}':<24} {shown:>8}   {verdict}")
        self.say()

    def run(self) -> None:
        started = time.perf_counter()
        version = self.db.execute("SHOW server_version")[0][0]
        where = psycopg2.extensions.parse_dsn(DSN)
        self.say(
            f"d2b_luigi benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: PostgreSQL {version} at "
            f"{where.get('host', 'local')}:{where.get('port', 5432)}/{where.get('dbname', '')}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, luigi {luigi.__version__}{', QUICK' if QUICK else ''}"
        )
        self.say(f"data: generated, seed {SEED}, as of {AS_OF}, 25 products, 25 customers; run date {AS_OF}")
        self.say(f"machine load average at the start: {load_average()} (other work on the machine skews every ratio)")
        self.say()
        self.db.drop_bench_schemas()
        shutil.rmtree(WORK / "work", ignore_errors=True)
        shutil.rmtree(WORK / "export", ignore_errors=True)
        shutil.rmtree(self.logs, ignore_errors=True)
        for label in SIZES:
            self.dataset(label)
        try:
            self.generator()
            self.loads()
            self.end_to_end()
            self.noop()
            self.parallel()
            self.hosts()
        finally:
            self.db.drop_bench_schemas()
        self.targets()
        self.say(f"total bench time {time.perf_counter() - started:.0f} s; load average at the end: {load_average()}")
        print("BENCH " + " ".join(f"{key}={value:.3g}" for key, value in self.results.items()), flush=True)


# --- the baselines: what users would write instead ------------------------------------------------------

_DSN_PARTS = psycopg2.extensions.parse_dsn(DSN)


class _StockMarker(luigi.contrib.postgres.PostgresTarget):
    marker_table = "bench_stock.table_updates"


class StockCopyToTable(luigi.contrib.postgres.CopyToTable):
    """luigi's stock loader as its docs show it: ``rows()`` yields each CSV row; CopyToTable escapes them
    into a temporary file in Python, then COPYs that."""

    path = luigi.Parameter()
    run_date = luigi.DateParameter()
    host = _DSN_PARTS.get("host", "localhost")
    port = int(_DSN_PARTS.get("port", 5432))
    database = _DSN_PARTS.get("dbname", "postgres")
    user = _DSN_PARTS.get("user", "postgres")
    password = _DSN_PARTS.get("password")
    table = "bench_stock.orders"
    columns = ["ingestion_date", *SOURCES["orders"].split(",")]

    def rows(self):
        with open(self.path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            for row in reader:
                yield (self.run_date, *row)

    def output(self) -> luigi.contrib.postgres.PostgresTarget:
        return _StockMarker(self.host, self.database, self.user, self.password, self.table, self.update_id, self.port)


def pandas_load(path: Path, schema: str) -> None:
    """The usual pandas loader: read the whole CSV into a DataFrame, then ``to_sql`` through SQLAlchemy."""
    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(DSN))
    try:
        frame = pd.read_csv(path)
        frame.insert(0, "ingestion_date", AS_OF)
        frame.to_sql("orders", engine, schema=schema, if_exists="append", index=False)
    finally:
        engine.dispose()


if __name__ == "__main__":
    Bench().run()
