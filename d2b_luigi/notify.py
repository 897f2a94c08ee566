"""Failure notifications to a webhook: a small JSON payload with the task, its date and the error.

E-mail is Luigi's own (the ``[email]`` and ``[smtp]`` sections of luigi.cfg); this adds a generic webhook,
``D2B_WEBHOOK_URL`` (or ``[d2b] webhook_url``), for chat tools and incident systems. The URL often holds a
token, so it is never logged: messages name its host only.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request

import luigi

from d2b_luigi.runlog import ERROR_CHARS, run_date
from d2b_luigi.tasks.base import PipelineTask, shown

log = logging.getLogger("d2b_luigi")

TIMEOUT_S = 10


def payload(task: PipelineTask, event: str, error: str) -> dict:
    """What the webhook receives."""
    date = run_date(task)
    return {
        "event": event,
        "task": shown(task),
        "family": task.get_task_family(),
        "date": date.isoformat() if date else None,
        "error": error[:ERROR_CHARS],
        "warehouse_id": task.settings.id,
        "host": socket.gethostname(),
    }


def post(url: str, body: dict) -> bool:
    """POST ``body`` as JSON; False (and a warning naming only the host) when it does not go through."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    host = urllib.parse.urlsplit(url).hostname
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S):
            return True
    except urllib.error.HTTPError as exc:
        log.warning("failure webhook at %s answered HTTP %s", host, exc.code)
    except (OSError, ValueError) as exc:
        log.warning("failure webhook at %s unreachable: %s", host, type(exc).__name__)
    return False


def _notify(task: PipelineTask, event: str, error: object) -> None:
    url = task.settings.webhook_url
    if url:
        text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        post(url, payload(task, event, text))


@PipelineTask.event_handler(luigi.Event.FAILURE)
def _on_failure(task: PipelineTask, exception: BaseException) -> None:
    _notify(task, "failure", exception)


@PipelineTask.event_handler(luigi.Event.BROKEN_TASK)
def _on_broken(task: PipelineTask, exception: BaseException) -> None:
    _notify(task, "broken_task", exception)


@PipelineTask.event_handler(luigi.Event.PROCESS_FAILURE)
def _on_process_failure(task: PipelineTask, error_message: str) -> None:
    _notify(task, "process_failure", error_message)


@PipelineTask.event_handler(luigi.Event.TIMEOUT)
def _on_timeout(task: PipelineTask, error_message: str) -> None:
    _notify(task, "timeout", error_message)
