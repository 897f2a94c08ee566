"""What went wrong in a run of the ``luigi`` command, said at its end: one line per failed or missing thing.

Luigi's summary lists failed tasks without a reason, and the reasons sit inside long tracebacks. When the
``luigi`` command imports d2b_luigi, this module collects the run's problems from luigi's events, in
whichever process they happen (with ``--workers N`` tasks run in child processes, which append to a file
the command's process reads), and when the process ends prints after luigi's summary, for example::

    FAILED   LoadStaging orders 2025-07-01: /lake/orders.csv: 3 of 8 rows rejected, … (more: d2b status --date …)
    MISSING  LandingFile reviews 2025-07-01: landing file missing: /lake/reviews.csv (more: d2b status --date …)

A run that ends with something missing (exit 20), out of reach (exit 35) or an error of luigi's own (exit
40, e.g. luigid unreachable) then alerts the webhook, and luigi's e-mail for missing data; failed tasks
alert as they fail (notify.py, and luigi's own e-mail, which also covers exits 35 and 40).

Errors raised by d2b_luigi itself (configuration, an unreachable warehouse or lake, a bad file) are written
for people: luigi logs them as one line instead of a traceback.
"""

from __future__ import annotations

import atexit
import dataclasses
import inspect
import json
import logging
import os
import re
import socket
import sys
import tempfile
import urllib.parse

import luigi
import luigi.notifications
import luigi.retcodes
import luigi.rpc

from d2b_luigi import notify
from d2b_luigi.config import resolve
from d2b_luigi.runlog import label, run_date
from d2b_luigi.tasks.base import first_line

# a problem's line holds its whole message (a load's names the file, line, column and where all rejects are),
# cut only when longer: a database error may quote a megabyte-long value
REASON_LIMIT = 600

log = logging.getLogger("d2b_luigi")

CHANNEL = "_D2B_RUN_PROBLEMS"  # the file the command's processes append their problems to
KINDS = {"failed": "FAILED", "missing": "MISSING", "error": "ERROR", "unhandled": "ERROR"}
# the webhook's event for a run's end, by the worst kind of problem it had (failures alert as they happen)
EVENTS = {"unhandled": "unhandled_exception", "error": "scheduling_error", "missing": "missing_data"}


@dataclasses.dataclass
class Problem:
    kind: str  # failed (a task's run), missing (an external input), error (could not even be checked)
    task: str
    date: str | None
    reason: str


def _record(task: luigi.Task, kind: str, reason: str = "") -> None:
    """Append what happened to a task to the run's channel file (any process of the command)."""
    date = run_date(task) and run_date(task).isoformat()
    _append({"id": task.task_id, "kind": kind, "task": label(task), "date": date, "reason": reason})


def _append(entry: dict) -> None:
    path = os.environ.get(CHANNEL)
    if path:
        with open(path, "a", encoding="utf-8") as channel:
            channel.write(json.dumps(entry) + "\n")  # one short write in append mode: lines of processes never mix


def _missing_reason(task: luigi.Task) -> str:
    url = getattr(task, "url", None)
    return f"landing file missing: {url}" if url else f"its input does not exist: {task.output()}"


_scheduling_errors: dict[str, str] = {}  # str(task) -> the error its complete() or deps() raised


@luigi.Task.event_handler(luigi.Event.FAILURE)
def _on_failure(task: luigi.Task, exception: BaseException) -> None:
    _record(task, "failed", first_line(exception, REASON_LIMIT))


@luigi.Task.event_handler(luigi.Event.PROCESS_FAILURE)
def _on_process_failure(task: luigi.Task, message: str) -> None:
    _record(task, "failed", first_line(message, REASON_LIMIT))


@luigi.Task.event_handler(luigi.Event.TIMEOUT)
def _on_timeout(task: luigi.Task, message: str) -> None:
    _record(task, "failed", first_line(message, REASON_LIMIT))


@luigi.Task.event_handler(luigi.Event.BROKEN_TASK)
def _on_broken(task: luigi.Task, exception: BaseException) -> None:
    if isinstance(exception, luigi.rpc.RPCError) and unreachable_scheduler(exception):
        return  # not the task's fault: the end of the run says it once (OneLineErrors)
    _record(task, "error", first_line(exception, REASON_LIMIT))


@luigi.Task.event_handler(luigi.Event.DEPENDENCY_MISSING)
def _on_missing(task: luigi.Task) -> None:
    """An external input that does not exist, or a task whose completeness could not be checked."""
    if str(task) in _scheduling_errors:
        _record(task, "error", _scheduling_errors[str(task)])
    elif isinstance(task, luigi.ExternalTask):
        _record(task, "missing", _missing_reason(task))
    else:
        _record(task, "error", "its completeness could not be checked (see the log above)")


@luigi.Task.event_handler(luigi.Event.SUCCESS)
def _on_success(task: luigi.Task) -> None:
    _record(task, "done")  # a retry that succeeded clears the task's earlier failure


_SCHEDULER_URL = re.compile(r"when connecting to remote scheduler '(?P<url>[^']*)'")
_OS_ERROR = re.compile(r"\[Errno -?\d+\] (?P<text>[^'\")]+)")


def unreachable_scheduler(error: luigi.rpc.RPCError) -> str | None:
    """The one line for a luigid the command could not reach (None for other RPC errors)."""
    found = _SCHEDULER_URL.search(str(error))
    if not found:
        return None
    detail = str(error.sub_exception)
    cause = _OS_ERROR.search(detail)
    why = cause.group("text").lower() if cause else "no answer" if "timed out" in detail else first_line(detail)
    parts = urllib.parse.urlsplit(found.group("url"))
    url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # never a user:password@ of the URL
    return (
        f"cannot reach the central scheduler luigid at {url} ({why}): start it with "
        "`make scheduler`, or add --local-scheduler to run without it"
    )


_TRACEBACK_END = re.compile(r"^(?P<type>[\w.]+): (?P<message>.*)$")
_WILL_NOT_RUN = re.compile(r"^Will not run (?P<task>.+) or any dependencies due to error in \w+\(\) method:\n", re.S)


class OneLineErrors(logging.Filter):
    """Luigi's log: d2b_luigi's own errors as one line instead of a traceback; remembers scheduling errors.

    An unreachable luigid is said once, in one line, at the end of the run: luigi's tracebacks of it are
    dropped, and so is its chatter before luigid ever answered (failed pings, the worker stopping; luigi's
    INFO line "Informed scheduler that task …" tells that it answered).
    """

    scheduler_answered = False

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Informed scheduler that task"):
            self.scheduler_answered = True
        raised = record.exc_info and record.exc_info[1]
        if isinstance(raised, luigi.rpc.RPCError) and unreachable_scheduler(raised):
            if record.msg == "Uncaught exception in luigi":  # luigi.retcodes: exit 40
                reason = unreachable_scheduler(raised)
                _append({"id": "luigi", "kind": "unhandled", "task": "luigid", "date": None, "reason": reason})
            return False
        if not self.scheduler_answered and (
            record.msg == "Failed pinging scheduler" or record.getMessage().endswith("Shutting down Keep-Alive thread")
        ):
            return False
        if record.msg == "Uncaught exception in luigi" and record.exc_info:  # luigi.retcodes: exit 40
            reason = first_line(record.exc_info[1], REASON_LIMIT)
            _append({"id": "luigi", "kind": "unhandled", "task": "luigi", "date": None, "reason": reason})
        if record.exc_info and type(record.exc_info[1]).__module__.startswith("d2b_luigi"):
            record.msg = f"{record.getMessage()}: {first_line(record.exc_info[1], REASON_LIMIT)}"
            record.args, record.exc_info, record.exc_text = (), None, None
            return True
        message = record.getMessage()
        found = _WILL_NOT_RUN.match(message)
        if found:
            last = message.rstrip().splitlines()[-1]
            error = _TRACEBACK_END.match(last)
            ours = bool(error) and error.group("type").startswith("d2b_luigi")
            reason = first_line(error.group("message") if ours else last, REASON_LIMIT)
            _scheduling_errors[found.group("task")] = reason
            if ours:
                record.msg, record.args = "Will not run %s or any dependencies: %s", (found.group("task"), reason)
        return True


def problems(path: str) -> list[Problem]:
    """The run's problems from the channel file: each task's last word counts (a success clears it)."""
    latest: dict[str, dict] = {}
    with open(path, encoding="utf-8") as channel:
        for line in channel:
            entry = json.loads(line)
            latest.pop(entry["id"], None)
            latest[entry["id"]] = entry
    found = [Problem(e["kind"], e["task"], e["date"], e["reason"]) for e in latest.values() if e["kind"] in KINDS]
    crashed = {p.reason for p in found if p.kind == "unhandled"}  # luigi's own error, also reported for its task
    return [p for p in found if p.kind == "unhandled" or p.reason not in crashed]


def lines(found: list[Problem], fallback_date: str | None) -> list[str]:
    """One line per problem: what, the date, why, and the command that shows more."""
    result = []
    for p in found:
        date = p.date or fallback_date
        more = f" (more: d2b status --date {date})" if date and p.task != "luigid" else ""
        result.append(f"{KINDS[p.kind]:<8} {p.task} {p.date or ''}".rstrip() + f": {p.reason}{more}")
    return result


def exit_code(found: list[Problem]) -> int:
    """The exit code luigi gives these problems ([retcode] of luigi.cfg): the highest applies."""
    codes = luigi.retcodes.retcode()
    kinds = {p.kind for p in found}
    return max(
        codes.missing_data * ("missing" in kinds),
        codes.task_failed * ("failed" in kinds),
        codes.scheduling_error * ("error" in kinds),
        codes.unhandled_exception * ("unhandled" in kinds),
    )


class _Run:
    """The state of this ``luigi`` command: its channel file, its webhook, the date it runs."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="d2b-run-problems-", suffix=".jsonl")
        os.close(fd)
        os.environ[CHANNEL] = self.path
        self.pid = os.getpid()
        self.webhook_url: str | None = None
        self.warehouse_id: str | None = None
        self.date: str | None = None

    def remember(self, task: luigi.Task) -> None:
        """Read what the end of the run needs while luigi's command line is still parsed."""
        if self.date is None and run_date(task):
            self.date = run_date(task).isoformat()
            try:
                self.webhook_url, self.warehouse_id = resolve("webhook_url")[0], resolve("id")[0]
            except Exception as exc:  # a bad setting is reported by the run itself
                log.debug("settings for the end of the run: %s", first_line(exc))

    def end(self) -> None:
        if os.getpid() != self.pid:
            return
        try:
            found = problems(self.path)
        finally:
            os.unlink(self.path)
        if not found:
            return
        said = lines(found, self.date)
        print("\n".join(said), file=sys.stderr, flush=True)
        if _logs_to_a_file():
            for line in said:
                log.error("%s", line)
        alert(found, self.date, self.webhook_url, self.warehouse_id)


def alert(found: list[Problem], date: str | None, webhook_url: str | None, warehouse_id: str | None) -> None:
    """Tell the webhook and luigi's e-mail about what was missing or out of reach (failures alerted already)."""
    unalerted = [p for p in found if p.kind != "failed"]
    if not unalerted:
        return
    code = exit_code(found)
    kinds = {p.kind for p in unalerted}
    event = next(name for kind, name in EVENTS.items() if kind in kinds)
    what = "; ".join(f"{p.task}: {p.reason}" for p in unalerted)
    if webhook_url:
        notify.post(
            webhook_url,
            {
                "event": event,
                "exit_code": code,
                "date": date,
                "error": what,
                "problems": [dataclasses.asdict(p) for p in unalerted],
                "warehouse_id": warehouse_id,
                "host": socket.gethostname(),
            },
        )
    if event == "missing_data":  # luigi e-mails scheduling errors itself
        subject = f"Luigi: d2b_luigi {date or ''} missing data (exit {code}). Host: {socket.gethostname()}"
        luigi.notifications.send_error_email(subject, "\n".join(lines(unalerted, date)))


def _logs_to_a_file() -> bool:
    """True when logging goes to a file (cron's --logging-conf-file), so the lines belong there too."""
    loggers = [logging.getLogger(), logging.getLogger("luigi-interface")]
    return any(isinstance(h, logging.FileHandler) for lg in loggers for h in lg.handlers)


def under_the_luigi_command() -> bool:
    """True when the ``luigi`` command (luigi.retcodes.run_with_retcodes) is importing this module."""
    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_code is luigi.retcodes.run_with_retcodes.__code__:
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Called on import: under the ``luigi`` command, collect the run's problems and say them at its end."""
    if not under_the_luigi_command():
        return
    run = _Run()
    luigi.Task.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)(lambda task, _dependency: run.remember(task))
    luigi.Task.event_handler(luigi.Event.DEPENDENCY_PRESENT)(run.remember)
    luigi.Task.event_handler(luigi.Event.DEPENDENCY_MISSING)(run.remember)
    logging.getLogger("luigi-interface").addFilter(OneLineErrors())
    atexit.register(run.end)
