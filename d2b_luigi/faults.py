"""A fault-injection point for tests: hold a step at a named place so a test can kill the process there.

Inactive unless ``D2B_PAUSE_AT`` names the place. The step then prints ``d2b_luigi: paused at <place>``
to stderr and waits until the file ``D2B_PAUSE_RELEASE`` exists (or forever, until killed).
"""

from __future__ import annotations

import os
import sys
import time


def pause_point(place: str) -> None:
    if os.environ.get("D2B_PAUSE_AT") != place:
        return
    print(f"d2b_luigi: paused at {place}", file=sys.stderr, flush=True)
    release = os.environ.get("D2B_PAUSE_RELEASE", "")
    while not (release and os.path.exists(release)):
        time.sleep(0.05)
