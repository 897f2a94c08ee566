#!/bin/sh
# The scheduler container: luigid in the foreground on port 8082, its state in /var/lib/d2b/scheduler (saved
# on SIGTERM; folder 0700, files 0600), its task history in $D2B_SCHEDULER_HISTORY_DB (an SQLAlchemy URL). luigid creates the history
# tables at start, so it waits up to a minute for that database first.
set -eu
: "${D2B_SCHEDULER_HISTORY_DB:?set D2B_SCHEDULER_HISTORY_DB (an SQLAlchemy URL)}"
python - <<'PY'
import os
import time

import sqlalchemy

engine = sqlalchemy.create_engine(os.environ["D2B_SCHEDULER_HISTORY_DB"])
for attempt in range(60):
    try:
        engine.connect().close()
        break
    except sqlalchemy.exc.OperationalError as exc:
        if attempt == 59:
            raise SystemExit(f"scheduler: the history database does not answer: {exc.orig}") from None
        time.sleep(1)
PY
# luigid's state (a pickle it loads at start) and logs: private to its user, whatever the image's umask
umask 077
mkdir -p /var/lib/d2b/scheduler
chmod 700 /var/lib/d2b/scheduler
exec luigid --address 0.0.0.0 --port 8082 --state-path /var/lib/d2b/scheduler/state.pickle
