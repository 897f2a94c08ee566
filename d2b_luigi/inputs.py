"""Whether a date's steps were built from the landing files as they are in the lake now.

Every load records the fingerprint (:func:`lake.fingerprint`) of the landing file it read in ``load_log``. A
date's steps count as done only while the lake still holds those very files: a landing file replaced (fixed,
broken, other data) or removed after a step ran makes that step, and every step RunAll reaches through it,
incomplete again, so a plain ``RunAll`` redoes the date from the files as they are now. Loads recorded before
migration 0005 have no fingerprint and count as current.

One :class:`DateState` answers for several steps of a date at once: one query, and one look at each landing
file (a stat, or a HEAD on S3) at most, when a step with a marker asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from d2b_luigi import lake, warehouse
from d2b_luigi.config import Settings


class DateState:
    """A date's markers among the ids asked for, and whether each source's landing file changed since its load."""

    def __init__(self, settings: Settings, date: dt.date, update_ids: Iterable[str]) -> None:
        self.settings = settings
        self.date = date
        rows = warehouse.query_all(
            settings,
            warehouse.statement(settings, "load/date_state"),
            {"update_ids": list(update_ids), "run_date": date},
        )
        self.markers = {row[1] for row in rows if row[0] == "marker"}
        # source -> the files its last load read, (source, url, fingerprint): its own, and for the shipments the
        # orders file their order_ids were checked against
        self.loads = {
            name: [(name, url, fingerprint), ("orders", orders_url, orders_fingerprint)]
            for kind, name, url, fingerprint, orders_url, orders_fingerprint in rows
            if kind == "load"
        }
        self._there: dict[tuple[str, str, str], bool] = {}

    def changed(self, sources: Iterable[str]) -> bool:
        """True when a file that the last load of any of ``sources`` read is no longer in the lake as it was."""
        return any(
            fingerprint is not None and not self.still_there(name, url, fingerprint)
            for source in sources
            for name, url, fingerprint in self.loads.get(source, [])
        )

    def still_there(self, source: str, url: str, fingerprint: str) -> bool:
        """The lake's landing file of ``source`` is still ``url`` with ``fingerprint`` (LandingFile's choice:
        ``{name}.csv``, else ``{name}.csv.gz``); looked at once per state."""
        key = (source, url, fingerprint)
        if key not in self._there:
            self._there[key] = self._look(source, url, fingerprint)
        return self._there[key]

    def _look(self, source: str, url: str, fingerprint: str) -> bool:
        plain = self.settings.landing_file(self.date, source)
        if url not in (plain, plain + ".gz"):
            return False  # the landing folder moved
        try:
            if url != plain and lake.target(self.settings, plain).exists():
                return False  # a plain file landed beside the gzip one: it is read now
            return lake.fingerprint(self.settings, url) == fingerprint
        except FileNotFoundError:
            return False
        except (BotoCoreError, ClientError) as exc:
            raise lake.LakeUnreachable(f"cannot reach the lake to look at {url}: {exc}") from None
