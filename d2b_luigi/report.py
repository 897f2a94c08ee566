"""``d2b report``: one self-contained HTML page per date (inline CSS and SVG, nothing fetched to view it)."""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path

from d2b_luigi.catalog import TABLES
from d2b_luigi.config import Settings
from d2b_luigi.status import DateStatus, Step, date_status, duration, fetch, interrupted

SHOWN_REJECTS = 10

STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 24px 32px;
       max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; }
.meta { color: #59636e; margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.ok { background: #dafbe1; color: #116329; } .bad { background: #ffebe9; color: #a40e26; }
.warn { background: #fff8c5; color: #7d4e00; } .idle { background: #eaeef2; color: #59636e; }
table { border-collapse: collapse; margin: 4px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid #eaeef2;
        text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
.cards h3 { font-size: 14px; margin: 0 0 4px; font-family: ui-monospace, monospace; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; } svg .axis { stroke: #d0d7de; }
pre.error { background: #fff5f5; border: 1px solid #ffcecb; padding: 8px; white-space: pre-wrap; }
svg .done { fill: #2da44e; } svg .failed { fill: #cf222e; } svg .tick { fill: #59636e; }
"""

LABEL_W, CHART_W, TAIL_W, ROW_H, TOP = 260, 640, 70, 22, 26


def esc(value: object) -> str:
    """A cell value as escaped text: ISO dates, true/false, thousands separators, '–' for none."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def badge(text: str, kind: str) -> str:
    return f'<span class="badge {kind}">{html.escape(text)}</span>'


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table of already-escaped cells; ``numeric`` column indexes are right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def analytics_section(settings: Settings, status: DateStatus) -> str:
    audited = any(s.task.get_task_family() == "QualityCheck" and s.state == "done" for s in status.steps)
    cards = []
    for name in TABLES:
        rows = fetch(settings, f"export/{name}", {"run_date": status.date})
        content = (
            table(["column", "value"], [[html.escape(k), esc(v)] for k, v in rows[0].items()])
            if rows
            else f"<p>{badge('not published', 'warn')} no row for this date: consumers see none</p>"
        )
        if rows and not audited:
            content = f"<p>{badge('not audited', 'warn')} the quality checks have not passed for this row</p>" + content
        cards.append(f"<div><h3>{html.escape(settings.analytics_schema)}.{name}</h3>{content}</div>")
    return f'<div class="cards">{"".join(cards)}</div>'


def quality_section(status: DateStatus) -> str:
    if not status.quality:
        return "<p>Not checked yet.</p>"
    failed = any(not q["passed"] for q in status.quality)
    rows = []
    for q in status.quality:
        verdict = badge("pass", "ok") if q["passed"] else badge("FAIL", "bad" if q["severity"] == "error" else "warn")
        row = [verdict, esc(q["check_name"]), esc(q["severity"]), esc(q["failing_rows"]), esc(q["description"])]
        if failed:
            row.append("" if q["passed"] else f"<code>{esc(json.dumps(q['sample'], default=str))}</code>")
        rows.append(row)
    headers = ["result", "check", "severity", "failing rows", "what it checks"]
    return table(headers + ["sample of failing rows"] * failed, rows, numeric={3})


def problems_section(settings: Settings, status: DateStatus) -> str:
    """What went wrong: each failed or interrupted step with its error, and the first rejected lines."""
    parts = []
    for s in status.steps:
        if s.state == "failed":
            parts.append(f"<h3>{esc(s.label)} {badge('failed', 'bad')} at {esc(s.finished_at)}</h3>")
            parts.append(f'<pre class="error">{esc(s.error or "(no error recorded)")}</pre>')
        elif s.state == "interrupted":
            parts.append(f"<h3>{esc(s.label)} {badge('interrupted', 'bad')}</h3><p>{esc(interrupted(s))}</p>")
        elif s.state == "missing":
            parts.append(f"<h3>{esc(s.label)} {badge('missing', 'warn')}</h3><p>not in the lake: {esc(s.task.url)}</p>")
    rejects = fetch(settings, "report/rejects", {"run_date": status.date, "shown": SHOWN_REJECTS})
    for source in dict.fromkeys(r["source"] for r in rejects):
        mine = [r for r in rejects if r["source"] == source]
        shown = f"the first {len(mine)}" if mine[0]["rejected"] > len(mine) else "all"
        parts.append(
            f"<h3>{esc(mine[0]['rejected'])} rejected line(s) of {esc(mine[0]['file_url'])} ({shown} below; all in "
            f"{esc(settings.staging_schema)}.rejected_rows)</h3>"
        )
        rows = [[esc(r["line_no"]), esc(r["reason"]), f"<code>{esc(r['raw_line'])}</code>"] for r in mine]
        parts.append(table(["line", "reason", "line as it is in the file"], rows, numeric={0}))
    failed_checks = [q for q in status.quality if not q["passed"] and q["severity"] == "error"]
    if failed_checks:
        parts.append(f"<h3>{len(failed_checks)} data-quality check(s) with severity error failed</h3>")
        rows = [
            [esc(q["check_name"]), esc(q["failing_rows"]), f"<code>{esc(json.dumps(q['sample'], default=str))}</code>"]
            for q in failed_checks
        ]
        parts.append(table(["check", "failing rows", "sample of failing rows"], rows, numeric={1}))
    return "".join(parts) or "<p>Nothing failed.</p>"


def reconciliation_section(settings: Settings, date: dt.date) -> str:
    loads = fetch(settings, "report/reconciliation", {"run_date": date})
    if not loads:
        return "<p>No load recorded for this date.</p>"
    rows = [
        [
            esc(r["source"]),
            esc(r["file_url"]),
            esc(r["bytes"]),
            esc(r["data_lines"]),
            esc(r["rows_loaded"]),
            esc(r["rows_rejected"]),
            badge("reconciles", "ok") if r["reconciles"] else badge("does not reconcile", "bad"),
        ]
        for r in loads
    ]
    headers = ["source", "file", "bytes", "data lines", "rows loaded", "rows rejected", "lines = loaded + rejected"]
    return table(headers, rows, numeric={2, 3, 4, 5})


def tick_step(span_s: float) -> float:
    """A round tick interval (1, 2 or 5 × 10^k seconds) giving about six ticks over ``span_s``."""
    raw = span_s / 6
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def timeline_svg(steps: list[Step]) -> str:
    """A Gantt chart of the date's latest task runs, as inline SVG."""
    runs = sorted((s for s in steps if s.per_date and s.started_at and s.finished_at), key=lambda s: s.started_at)
    if not runs:
        return "<p>No task runs recorded for this date.</p>"
    t0 = runs[0].started_at
    span = max(max((s.finished_at - t0).total_seconds() for s in runs), 1e-3)
    height = TOP + ROW_H * len(runs) + 6
    width = LABEL_W + CHART_W + TAIL_W

    def x(seconds: float) -> float:
        return LABEL_W + CHART_W * seconds / span

    parts = [f'<svg width="{width}" height="{height}" role="img">']
    step = tick_step(span)
    for i in range(int(span / step) + 1):
        at = x(i * step)
        parts.append(f'<line class="axis" x1="{at:.1f}" y1="{TOP - 6}" x2="{at:.1f}" y2="{height}"/>')
        parts.append(f'<text class="tick" x="{at:.1f}" y="{TOP - 10}" text-anchor="middle">+{i * step:g} s</text>')
    for row, s in enumerate(runs):
        y = TOP + row * ROW_H
        start = (s.started_at - t0).total_seconds()
        bar = max(x(start + s.duration_s) - x(start), 2)
        kind = "failed" if s.state == "failed" else "done"
        label = html.escape(s.label)
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{label}</text>')
        parts.append(
            f'<rect class="{kind}" x="{x(start):.1f}" y="{y + 3}" width="{bar:.1f}" height="{ROW_H - 6}" rx="2">'
            f"<title>{label}: {duration(s.duration_s)}</title></rect>"
        )
        parts.append(f'<text x="{x(start) + bar + 4:.1f}" y="{y + 15}">{duration(s.duration_s)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def steps_section(status: DateStatus) -> str:
    kinds = {
        "done": "ok",
        "cleaned up": "ok",
        "failed": "bad",
        "interrupted": "bad",
        "running": "warn",
        "missing": "warn",
        "pending": "idle",
    }
    rows = [
        [
            esc(s.label),
            badge(s.state, kinds[s.state]),
            esc(s.finished_at),
            duration(s.duration_s) if s.duration_s is not None else "–",
            esc(s.rows_loaded),
            esc(s.rows_rejected),
            esc(s.rows_exported),
        ]
        for s in status.steps
    ]
    headers = ["step", "state", "finished", "took", "loaded", "rejected", "exported"]
    return table(headers, rows, numeric={3, 4, 5, 6})


def render(settings: Settings, date: dt.date) -> str:
    """The whole report page for ``date``."""
    status = date_status(settings, date)
    overall = badge("done", "ok") if status.done else badge("not done", "bad")
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        *([("What went wrong", problems_section(settings, status))] if not status.done else []),
        ("Analytics", analytics_section(settings, status)),
        ("Data quality", quality_section(status)),
        ("Timeline of the task runs", timeline_svg(status.steps)),
        ("Load reconciliation", reconciliation_section(settings, date)),
        ("Steps", steps_section(status)),
    ]
    body = "".join(f"<section><h2>{title}</h2>{content}</section>" for title, content in sections)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>d2b_luigi {date} ({html.escape(settings.id)})</title><style>{STYLE}</style></head><body>"
        f"<h1>d2b_luigi run date {date} {overall}</h1>"
        f'<p class="meta">warehouse id {html.escape(settings.id)} · generated {generated}</p>{body}</body></html>\n'
    )


def write(settings: Settings, date: dt.date, path: Path | None = None) -> Path:
    """Write the report (default ``{work dir}/report/{id}/{date}.html``) and return its path."""
    path = path or settings.work_dir / "report" / settings.id / f"{date}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(settings, date), encoding="utf-8")
    return path
