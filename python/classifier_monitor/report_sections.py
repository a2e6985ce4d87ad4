"""The sections of the static report (report.py puts them on one page): each
reads its figures through report_data, draws them with report_charts, and
returns HTML with every text escaped. A section without data says so instead
of drawing an empty chart.
"""
from __future__ import annotations

from html import escape

import pandas as pd

from classifier_monitor import report_data as data
from classifier_monitor.intervals import wilson_interval
from classifier_monitor.report_charts import (MATURED_COLOUR, PALETTE, PRECISION_COLOUR, PROVISIONAL_COLOUR,
                                              RECALL_COLOUR, Series, budget_bar_svg, budget_chart_svg,
                                              coverage_chart_svg, heatmap_svg, interval_chart_svg)


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _ratio(value, digits: int = 3) -> str:
    return "–" if _missing(value) else f"{value:.{digits}f}"


def _percent(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value:.{digits}%}"


def _hour(value) -> str:
    return "–" if _missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def _no_data(section: str, message: str) -> str:
    return f'<p class="no-data" data-no-data="{_e(section)}">No data: {_e(message)}</p>'


def _slice(name: str, value: str) -> str:
    return "all" if name == data.ALL else f"{name}={value}"


def _legend(items: list[tuple[str, str]]) -> str:
    """Chart legends are HTML, so long names wrap instead of running off a chart."""
    return ('<div class="legend">' + "".join(f'<span><i style="background:{_e(colour)}"></i>{_e(name)}</span>'
                                             for name, colour in items) + "</div>")


def _section(section_id: str, title: str, how: str, body: str) -> str:
    return (f'<section id="{_e(section_id)}"><h2>{_e(title)}</h2><p class="how">{_e(how)}</p>{body}</section>')


# --------------------------------------------------------------------------- sections

def confusion_section(con, selection: data.Selection) -> str:
    counts = data.confusion_counts(con, selection)
    how = ("Labeled predictions of the period summed over its hours. Rows are true classes, columns predicted "
           "classes; a cell's colour is its share of the row, its text the count. Right: recall per true class "
           "(count of labeled rows); bottom: precision per predicted class.")
    if counts.empty:
        body = _no_data("confusion-heatmap", "no labeled predictions for this model, version, slice and period.")
    else:
        matrix = data.confusion_matrix(counts)
        body = (f'<div class="side-by-side">{heatmap_svg(list(matrix.index), matrix.to_numpy().tolist())}'
                f'{_top_confusions(matrix)}</div>')
    return _section("confusion", "Confusion matrix", how, body)


def _top_confusions(matrix: pd.DataFrame, limit: int = 10) -> str:
    """The largest off-diagonal cells: the mistakes worth looking at first."""
    row_totals = matrix.sum(axis=1)
    mistakes = [(int(matrix.at[actual, predicted]), actual, predicted)
                for actual in matrix.index for predicted in matrix.columns
                if actual != predicted and matrix.at[actual, predicted] > 0]
    if not mistakes:
        return '<p class="muted">No mistakes in this period.</p>'
    rows = "".join(
        f"<tr><td>{_e(actual)}</td><td>{_e(predicted)}</td><td class='num'>{n:,}</td>"
        f"<td class='num'>{_percent(n / row_totals[actual])}</td></tr>"
        for n, actual, predicted in sorted(mistakes, key=lambda m: (-m[0], m[1], m[2]))[:limit])
    return ("<div class='top-confusions'><h3>Most frequent mistakes</h3><table><thead><tr><th>true</th>"
            "<th>predicted as</th><th class='num'>n</th><th class='num'>of the true class</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def class_metrics_section(con, selection: data.Selection) -> str:
    frame = data.daily_class_metrics(con, selection)
    how = ("Per UTC day, from the day's summed counts: precision = tp / predicted, recall = tp / support (never an "
           "average of hourly ratios). Bands are 95% Wilson score intervals of those counts; a day without "
           "predictions (precision) or labels (recall) of the class is a gap.")
    if frame.empty:
        return _section("class-metrics", "Precision and recall per class over time", how,
                        _no_data("class-metrics", "no labeled predictions for this selection."))
    days = selection.days
    position = {pd.Timestamp(day): i for i, day in enumerate(days)}
    panels = []
    for name, rows in frame.groupby("class", sort=True):
        values = {key: [float("nan")] * len(days) for key in
                  ("precision", "precision_lower", "precision_upper", "recall", "recall_lower", "recall_upper")}
        notes = {"precision": [""] * len(days), "recall": [""] * len(days)}
        for row in rows.itertuples(index=False):
            i = position.get(pd.Timestamp(row.day))
            if i is None:
                continue
            for key in values:
                values[key][i] = float(getattr(row, key))
            notes["precision"][i] = (f"{row.day:%Y-%m-%d} precision {_ratio(row.precision)} "
                                     f"[{_ratio(row.precision_lower)}, {_ratio(row.precision_upper)}]: "
                                     f"{row.tp:,} of {row.predicted:,} predicted")
            notes["recall"][i] = (f"{row.day:%Y-%m-%d} recall {_ratio(row.recall)} "
                                  f"[{_ratio(row.recall_lower)}, {_ratio(row.recall_upper)}]: "
                                  f"{row.tp:,} of {row.support:,} labeled")
        series = [Series("precision", PRECISION_COLOUR, values["precision"], values["precision_lower"],
                         values["precision_upper"], notes["precision"]),
                  Series("recall", RECALL_COLOUR, values["recall"], values["recall_lower"], values["recall_upper"],
                         notes["recall"])]
        tp, predicted, support = (int(rows[column].sum()) for column in ("tp", "predicted", "support"))
        (p_lo,), (p_hi,) = wilson_interval([tp], [predicted])
        (r_lo,), (r_hi,) = wilson_interval([tp], [support])
        caption = (f"whole period: precision {_ratio(tp / predicted if predicted else None)} "
                   f"[{_ratio(p_lo)}, {_ratio(p_hi)}] (n={predicted:,}), recall "
                   f"{_ratio(tp / support if support else None)} [{_ratio(r_lo)}, {_ratio(r_hi)}] (n={support:,})")
        chart = interval_chart_svg("class-metrics", str(name), days, series, extra={"class": name})
        panels.append(f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>")
    legend = _legend([("precision, 95% interval", PRECISION_COLOUR), ("recall, 95% interval", RECALL_COLOUR)])
    return _section("class-metrics", "Precision and recall per class over time", how,
                    legend + f'<div class="panels">{"".join(panels)}</div>')


def coverage_section(con, selection: data.Selection) -> str:
    frame = data.daily_label_coverage(con, selection)
    how = ("Per UTC day: labeled predictions / predictions. Labels arrive late, so recent days rise as they land; "
           "a day is drawn lighter until its labels have matured (var label_delay_sla_hours after it ends).")
    if frame.empty or frame["n_predictions"].sum() == 0:
        return _section("label-coverage", "Label coverage", how,
                        _no_data("label-coverage", "no predictions for this selection."))
    days = selection.days
    position = {pd.Timestamp(day): i for i, day in enumerate(days)}
    coverage, matured, notes = [float("nan")] * len(days), [None] * len(days), [""] * len(days)
    for row in frame.itertuples(index=False):
        i = position.get(pd.Timestamp(row.day))
        if i is None:
            continue
        coverage[i] = float(row.label_coverage) if not _missing(row.label_coverage) else float("nan")
        matured[i] = None if _missing(row.labels_matured) else bool(row.labels_matured)
        state = {True: "labels matured", False: "provisional", None: "maturity unknown"}[matured[i]]
        notes[i] = (f"{row.day:%Y-%m-%d}: {row.n_labeled:,} of {row.n_predictions:,} labeled "
                    f"({_percent(row.label_coverage)}), {state}")
    legend = _legend([("labels matured", MATURED_COLOUR), ("provisional: labels still arriving", PROVISIONAL_COLOUR)])
    chart = coverage_chart_svg(days, coverage, matured, notes)
    return _section("label-coverage", "Label coverage", how, legend + chart)


def drift_section(con, selection: data.Selection) -> str:
    window = data.latest_drift(con, selection)
    how = ("marts.fct_feature_drift, the newest drift window starting in the period, every slice; rows of the "
           "selected version and version-pooled rows ('all'), most severe first, then by PSI. Severity combines "
           "significance (p-value) and effect size (PSI, KS D, JS distance): docs/drift.md.")
    if window.window_start is None:
        return _section("drift", "Drift", how,
                        _no_data("drift-table", "no drift window starts in this period for this model."))
    summary = " ".join(f'<span class="badge sev-{_e(severity)}">{_e(severity)} {count:,}</span>'
                       for severity, count in sorted(window.severity_counts.items(),
                                                     key=lambda item: -data.SEVERITY_RANK.get(item[0], -1)))
    shown = len(window.rows)
    header = (f'<p class="summary">Window {_hour(window.window_start)} – {_hour(window.window_end)} UTC: '
              f'{window.total_rows:,} rows {summary}'
              + (f" · showing the {shown} most severe" if shown < window.total_rows else "") + "</p>")
    head = ("<tr><th>severity</th><th>slice</th><th>version</th><th>feature</th><th>type</th>"
            "<th class='num'>PSI</th><th class='num'>KS D</th><th class='num'>JS</th>"
            "<th class='num'>n ref</th><th class='num'>n window</th><th>reason</th><th>new categories</th></tr>")
    rows = []
    for row in window.rows.itertuples(index=False):
        rows.append(
            f'<tr data-severity="{_e(row.severity)}"><td><span class="badge sev-{_e(row.severity)}">'
            f'{_e(row.severity)}</span></td><td>{_e(_slice(row.slice_name, row.slice_value))}</td>'
            f'<td>{_e(row.model_version)}</td><td>{_e(row.feature)}</td><td>{_e(row.feature_type)}</td>'
            f'<td class="num">{_ratio(row.psi)}</td><td class="num">{_ratio(row.ks_statistic)}</td>'
            f'<td class="num">{_ratio(row.js_distance)}</td><td class="num">{int(row.n_reference):,}</td>'
            f'<td class="num">{int(row.n_current):,}</td><td class="reason">{_e(row.severity_reason)}</td>'
            f'<td>{_e("" if _missing(row.new_categories) else row.new_categories)}</td></tr>')
    table = (f'<div class="scroll"><table data-chart="drift-table"><thead>{head}</thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    return _section("drift", "Drift", how, header + table)


def slo_section(con, selection: data.Selection) -> str:
    status = data.slo_status(con, selection)
    how = ("marts.fct_slo_status at each SLO and slice's latest evaluation hour in the period (label-based SLOs "
           "stop at the newest matured hour). Budget left = 1 - bad events / allowed bad events over the "
           "compliance window; a burn rate of 1 spends the budget exactly over that window. Hours in page or "
           "ticket state are counted over the period; hover a state for the rule that fired. "
           "docs/slis_and_slos.md.")
    if status.empty:
        return _section("slo", "SLO status and error budget", how,
                        _no_data("slo-status", "no SLO evaluation in this period for this model."))
    burn = [column for column in status.columns if column.startswith("burn_rate_")]
    head = ("<tr><th>state</th><th>SLO</th><th>slice</th><th class='num'>SLI</th><th class='num'>objective</th>"
            "<th>error budget left</th>"
            + "".join(f"<th class='num'>burn {_e(column[len('burn_rate_'):])}</th>" for column in burn)
            + "<th class='num'>page h</th><th class='num'>ticket h</th><th>latest hour</th></tr>")
    rows = []
    for row in status.to_dict("records"):
        burns = "".join(f'<td class="num">{"–" if _missing(row[c]) else f"{row[c]:.1f}×"}</td>' for c in burn)
        left = row["error_budget_left_ratio"]
        left_text = (f'<span class="overspent" title="overspent">{_percent(left, 0)}</span>'
                     if not _missing(left) and left < 0 else _percent(left, 0))
        rows.append(
            f'<tr data-slo="{_e(row["slo_name"])}" data-state="{_e(row["alert_state"])}">'
            f'<td><span class="badge state-{_e(row["alert_state"])}" title="{_e(_short_rule(row["alert_rule"]))}">'
            f'{_e(row["alert_state"])}</span></td>'
            f'<td class="nowrap" title="sli {_e(row["sli"])}">{_e(row["slo_name"])}</td>'
            f'<td class="nowrap">{_e(_slice(row["slice_name"], row["slice_value"]))}</td>'
            f'<td class="num">{_percent(row["sli_value"], 2)}</td><td class="num">{_percent(row["objective"], 2)}</td>'
            f'<td><div class="budget">{budget_bar_svg(left)}<span>{left_text}</span></div></td>{burns}'
            f'<td class="num">{int(row["page_hours"]):,}</td><td class="num">{int(row["ticket_hours"]):,}</td>'
            f'<td class="nowrap">{_hour(row["hour"])}</td></tr>')
    table = (f'<div class="scroll"><table data-chart="slo-status"><thead>{head}</thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')

    history = data.slo_budget_history(con, selection)
    if history.empty:
        chart = _no_data("slo-budget", "no SLO history for this slice in the period.")
    else:
        series, times = [], []
        for k, (name, rows_of_slo) in enumerate(history.groupby("slo_name", sort=True)):
            first = rows_of_slo.iloc[0]
            label = f"{name} ({_slice(first.slice_name, first.slice_value)})"
            values = [float("nan") if _missing(v) else float(v) for v in rows_of_slo["error_budget_left_ratio"]]
            last = rows_of_slo.iloc[-1]
            note = f"{label}: {_percent(last.error_budget_left_ratio, 0)} left at {_hour(last.point_time)}"
            series.append(Series(label, PALETTE[k % len(PALETTE)], values, notes=[note]))
            times.append([pd.Timestamp(t).to_pydatetime() for t in rows_of_slo["point_time"]])
        chart = (f'<h3 style="margin-top:18px">Error budget left over the period</h3>'
                 + _legend([(s.name, s.colour) for s in series])
                 + budget_chart_svg(pd.Timestamp(selection.start).to_pydatetime(),
                                    pd.Timestamp(selection.end).to_pydatetime(), series, times))
    return _section("slo", "SLO status and error budget", how, table + chart)


def _short_rule(rule) -> str:
    """'ticket: burn rate >= 1 over 72h and 6h' -> 'burn >= 1 over 72h and 6h' (the state is in its own column)."""
    if _missing(rule) or not rule:
        return ""
    return str(rule).split(": ", 1)[-1].replace("burn rate >= ", "burn ≥ ")


def header_html(selection: data.Selection, totals: dict) -> str:
    version = "all versions" if selection.model_version == data.ALL else f"version {selection.model_version}"
    period = (f"[{_hour(selection.start)}, {_hour(selection.end)}) UTC" if selection.start is not None
              else "no data")
    labeled, predictions = totals["n_labeled"], totals["n_predictions"]
    cards = [(f"{predictions:,}", "predictions"), (f"{labeled:,}", "labeled"),
             (_percent(labeled / predictions if predictions else None), "label coverage"),
             (_percent(totals["n_correct"] / labeled if labeled else None), "accuracy (labeled)")]
    return (f"<header><h1>Model quality report: {_e(selection.model_name or 'no model')}</h1>"
            f"<p>{_e(version)} · slice {_e(_slice(selection.slice_name, selection.slice_value))} · "
            f"period {_e(period)}</p><div class='cards'>"
            + "".join(f"<div class='card'><b>{_e(value)}</b><span>{_e(label)}</span></div>" for value, label in cards)
            + "</div></header>")
