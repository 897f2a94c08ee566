#!/bin/sh
# The daily schedule: every day at $D2B_DAILY_AT (HH:MM, the container's time zone TZ, default UTC) run
# today's RunAll; everything goes to stdout (`docker compose logs cron`). A run that fails is logged with its
# exit code (see luigi.cfg [retcode]) and the schedule goes on; rerunning RunAll for that date fixes it.
set -u
at="${D2B_DAILY_AT:-06:30}"
date -d "today $at" >/dev/null 2>&1 || { echo "daily: D2B_DAILY_AT=$at is not a time (HH:MM)"; exit 2; }
# glibc takes an unknown TZ for UTC without a word
[ -z "${TZ:-}" ] || [ -e "/usr/share/zoneinfo/$TZ" ] || { echo "daily: TZ=$TZ is not a known time zone"; exit 2; }
trap 'exit 0' TERM INT
while true; do
    now=$(date +%s)
    next=$(date -d "today $at" +%s)
    [ "$next" -gt "$now" ] || next=$(date -d "tomorrow $at" +%s)
    echo "daily: next RunAll at $(date -d "@$next" '+%F %H:%M %Z')"
    sleep $((next - now)) &
    wait $!
    day=$(date +%F)
    echo "daily: RunAll --date $day starts"
    luigi --module d2b_luigi RunAll --date "$day"
    echo "daily: RunAll --date $day finished with exit code $?"
done
