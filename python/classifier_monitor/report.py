"""One self-contained static HTML report from the marts (docs/report.md).

    python -m classifier_monitor report --out reports/report.html [--start --end --slice-name
        --slice-value --model --version]

Sections: the confusion matrix of a period and slice, per-class precision and
recall per day with 95% Wilson intervals, label coverage per day, the newest
drift window by severity, and SLO status with error budget and burn rates.
The page has no scripts and loads nothing (its Content-Security-Policy forbids
it), so it can be mailed, archived or opened offline.

report_data reads the figures, report_charts draws them as inline SVG,
report_sections turns them into sections; this module makes the page.
"""
from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path

import duckdb

from classifier_monitor import report_data as data
from classifier_monitor.pipeline import PROJECT_DIR
from classifier_monitor.report_sections import (class_metrics_section, confusion_section, coverage_section,
                                                drift_section, header_html, slo_section)

DEFAULT_OUT = PROJECT_DIR / "reports" / "report.html"     # reports/ is git-ignored
CHARTS = ("confusion-heatmap", "class-metrics", "label-coverage", "drift-table", "slo-status", "slo-budget")
# Inline styles only; no script, font, image or connection may load.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #f4f6f8; color: #1d2329;
       font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
header h1 { font-size: 22px; margin: 0 0 4px; }
header p { margin: 0; color: #4a5560; }
.cards { display: flex; gap: 12px; margin: 16px 0 4px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid #dde2e7; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
.card span { color: #5b6670; font-size: 12px; }
section { background: #fff; border: 1px solid #dde2e7; border-radius: 10px; padding: 18px 22px; margin-top: 20px; }
section h2 { font-size: 17px; margin: 0 0 4px; }
section > p.how { margin: 0 0 12px; color: #5b6670; font-size: 12.5px; max-width: 95ch; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 8px 14px; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #4a5560; padding-left: 40px; }
.no-data { padding: 14px 16px; background: #f7f8fa; border: 1px dashed #c4ccd4; border-radius: 6px;
           color: #4a5560; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th { text-align: left; font-weight: 600; color: #3b4650; border-bottom: 2px solid #dde2e7; padding: 6px 7px;
     white-space: nowrap; }
td { border-bottom: 1px solid #eef1f4; padding: 5px 7px; vertical-align: middle; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.reason { color: #4a5560; }
tr:hover td { background: #fafbfc; }
.badge { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px; border-radius: 10px;
         font-size: 11.5px; font-weight: 600; color: #fff; }
.sev-act, .state-page { background: #c0392b; }
.sev-investigate, .state-ticket { background: #e67e22; }
.sev-info { background: #2f80ed; }
.sev-none { background: #aab4bd; }
.state-ok { background: #27ae60; }
.summary { margin: 0 0 10px; }
.summary .badge { min-width: 0; margin-right: 4px; }
.budget { display: flex; align-items: center; gap: 8px; white-space: nowrap; }
.overspent { color: #c0392b; font-weight: 600; }
.muted { color: #7a848d; }
td.nowrap { white-space: nowrap; }
.scroll { overflow-x: auto; }
.side-by-side { display: flex; gap: 28px; align-items: flex-start; flex-wrap: wrap; }
.top-confusions { min-width: 320px; margin-top: 96px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 2px 0 8px; font-size: 12px; color: #2d3740; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px;
            vertical-align: -1px; }
footer { color: #7a848d; font-size: 12px; margin-top: 18px; }
"""


def render_report(con, start: datetime | None = None, end: datetime | None = None, slice_name: str = data.ALL,
                  slice_value: str = data.ALL, model: str | None = None, version: str | None = None) -> str:
    """The report as one HTML string, from an open DuckDB connection (only reads)."""
    selection = data.resolve_selection(con, start, end, slice_name, slice_value, model, version)
    sections = [confusion_section(con, selection), class_metrics_section(con, selection),
                coverage_section(con, selection), drift_section(con, selection), slo_section(con, selection)]
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>classifier_monitor report: {escape(selection.model_name or 'no model')}</title>"
            f"<style>{STYLE}</style></head><body><main>"
            + header_html(selection, data.period_totals(con, selection)) + "".join(sections)
            + f"<footer>classifier_monitor · generated {generated} from the marts · docs/report.md</footer>"
            + "</main></body></html>\n")


def write_report(db_path: str | Path, out_path: str | Path, **options) -> Path:
    """Render the report of a DuckDB file (opened read-only) into out_path."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        html = render_report(con, **options)
    finally:
        con.close()
    return save_report(html, out_path)


def save_report(html: str, out_path: str | Path) -> Path:
    out = Path(out_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
