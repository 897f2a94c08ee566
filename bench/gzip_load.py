"""Benchmark: loading a gzip-compressed landing file against the same file plain ("the same speed class").

Generates ``BENCH_ORDERS`` orders (default 1,000,000), then times ``LoadStaging(orders)`` on the plain
download and on the same bytes gzip-compressed, ``BENCH_REPEATS`` times each (default 3, the median
counts), in schemas ``bench_gz_*`` of ``BENCH_DSN`` (dropped at the end). Prints the times, the ratio and,
last, ``BENCH gzip_load_s=… plain_load_s=… gzip_vs_plain=…``. Run: ``.venv/bin/python bench/gzip_load.py``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import luigi
import psycopg2

DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
DATE = dt.date(2025, 7, 1)


def main() -> None:
    bench_id = "bench_gz_" + uuid.uuid4().hex[:8]
    root = Path(tempfile.mkdtemp(prefix="d2b-bench-gzip-"))
    os.environ.update(
        D2B_WAREHOUSE_DSN=DSN,
        D2B_ID=bench_id,
        D2B_COMMON_SCHEMA=bench_id + "_common",
        D2B_WORK_DIR=str(root / "work"),
        D2B_LANDING_URL=str(root / "landing" / "{date}"),
        D2B_DIMENSIONS_URL=str(root / "dimensions"),
        D2B_SEED_DIMENSIONS="true",
    )
    from d2b_luigi import LoadStaging
    from d2b_luigi.generate import generate

    generate(root / "landing" / DATE.isoformat(), root / "dimensions", ORDERS, DATE, seed=1)
    task = LoadStaging(date=DATE, name="orders")
    assert luigi.build([task], local_scheduler=True, log_level="WARNING"), "the first load failed"
    download = Path(task.input()["file"].path)
    plain = download.read_bytes()
    packed = gzip.compress(plain)
    task.set_status_message = task.set_progress_percentage = lambda *_: None

    def timed(content: bytes) -> float:
        download.write_bytes(content)
        with psycopg2.connect(DSN) as connection, connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{bench_id}_analytics".task_markers WHERE update_id = %s', (task.update_id,))
        connection.close()
        started = time.perf_counter()
        task.run()
        return time.perf_counter() - started

    try:
        times = {"plain": [], "gzip": []}
        for _ in range(REPEATS):
            times["plain"].append(timed(plain))
            times["gzip"].append(timed(packed))
    finally:
        with psycopg2.connect(DSN) as connection, connection.cursor() as cursor:
            for schema in ("_staging", "_analytics", "_common"):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{bench_id}{schema}" CASCADE')
        connection.close()
    plain_s, gzip_s = statistics.median(times["plain"]), statistics.median(times["gzip"])
    print(f"orders.csv: {ORDERS:,} rows, {len(plain):,} bytes plain, {len(packed):,} bytes gzip")
    print(f"LoadStaging, median of {REPEATS}: plain {plain_s:.2f} s, gzip {gzip_s:.2f} s")
    print(f"BENCH gzip_load_s={gzip_s:.3g} plain_load_s={plain_s:.3g} gzip_vs_plain={gzip_s / plain_s:.3g}")


if __name__ == "__main__":
    sys.exit(main())
