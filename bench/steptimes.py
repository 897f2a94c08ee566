"""``luigi --module steptimes``: d2b_luigi's tasks, plus one line per finished task in ``$BENCH_STEP_LOG``:
its family, id, seconds inside ``run()`` and when it ended (epoch seconds), from whichever worker process ran it."""

import os
import time

import luigi

import d2b_luigi  # noqa: F401  (registers the pipeline's tasks)


@luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
def _record(task: luigi.Task, seconds: float) -> None:
    with open(os.environ["BENCH_STEP_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{task.get_task_family()}\t{task.task_id}\t{seconds:.6f}\t{time.time():.6f}\n")
