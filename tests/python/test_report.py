"""The static HTML report. Its figures equal independent computations on the
same data: the heatmap and the daily per-class counts scikit-learn on the
deduplicated rows (tests/python/oracle.py), the intervals scipy's Wilson
interval, coverage a count of the rows, the drift and SLO tables pandas on the
marts. Then the page opens in headless Chromium with every chart in the DOM,
nothing on the console and a screenshot."""
from __future__ import annotations

import re
import struct
import subprocess
import sys
from datetime import datetime, timedelta
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifier_monitor import report_data as data
from classifier_monitor.generator import GeneratorConfig, write_demo
from classifier_monitor.intervals import wilson_interval
from classifier_monitor.pipeline import PROJECT_DIR, Pipeline
from classifier_monitor.report import CHARTS, render_report
from headless_chromium import chromium_or_skip, open_page
from oracle import expected_events

CFG = GeneratorConfig(n_inferences=4_000, days=10, seed=3)
# A few hundred rows per slice and day: lower the drift thresholds so the
# newest windows hold several severities, which the table must order.
DRIFT_VARS = {"drift_min_samples": 30, "drift_significance_level": 0.01}
SELECTIONS = {
    "defaults": {},
    "eu-west, every version, part of the period": dict(
        slice_name="region", slice_value="eu-west", version="all",
        start=datetime(2026, 1, 3, 6), end=datetime(2026, 1, 9, 18)),
    "missing channel, v1": dict(slice_name="channel", slice_value="(missing)", version="v1"),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_work_dir):
    """A built warehouse, the rows the oracle keeps, and a copy of the file for
    other processes (this one keeps the original open once dbt has run)."""
    folder = tmp_path_factory.mktemp("report")
    pipe = Pipeline(folder / "w.duckdb", work_dir=dbt_work_dir)
    write_demo(pipe.db_path, CFG, progress=False)
    pipe.build(vars=DRIFT_VARS)
    copy = folder / "copy.duckdb"
    with pipe.connect() as con:
        raw_inferences = con.execute("select * from raw.inference_events").df()
        raw_labels = con.execute("select * from raw.label_events").df()
        con.execute(f"attach '{copy}' as copy")
        con.execute(f"copy from database {con.execute('select current_database()').fetchone()[0]} to copy")
        con.execute("detach copy")
    events = expected_events(raw_inferences, raw_labels)
    as_of = max(raw_inferences["ingested_at"].max(), raw_labels["ingested_at"].max())
    return pipe, events, as_of, copy


def selected_rows(events: pd.DataFrame, selection: data.Selection) -> pd.DataFrame:
    rows = events[(events["model_name"] == selection.model_name) & (events["hour"] >= selection.start)
                  & (events["hour"] < selection.end)]
    if selection.model_version != data.ALL:
        rows = rows[rows["model_version"] == selection.model_version]
    if selection.slice_name != data.ALL:
        rows = rows[rows[selection.slice_name] == selection.slice_value]
    return rows


def scipy_wilson(k: int, n: int) -> tuple[float, float]:
    interval = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return interval.low, interval.high


# --------------------------------------------------------------------------- intervals

def test_wilson_interval_equals_scipy():
    cases = [(0, 1), (1, 1), (0, 7), (7, 7), (3, 3), (1, 2), (12, 40), (499, 1000), (1, 100_000), (99_999, 100_000)]
    lower, upper = wilson_interval([k for k, _ in cases], [n for _, n in cases])
    expected = np.array([scipy_wilson(k, n) for k, n in cases])
    np.testing.assert_allclose(lower, expected[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(upper, expected[:, 1], rtol=1e-12, atol=1e-15)
    # docs/slis_and_slos.md: three right out of three has a lower bound of 0.44
    assert round(float(wilson_interval([3], [3])[0][0]), 2) == 0.44
    assert np.isnan(wilson_interval([0], [0])).all()


def test_wilson_interval_equals_the_warehouse_view(warehouse):
    pipe, _, _, _ = warehouse
    with pipe.connect() as con:
        view = con.execute("select * from marts.fct_class_metrics_intervals_hourly").df()
    for ratio, trials in (("precision", "predicted"), ("recall", "support")):
        lower, upper = wilson_interval(view["tp"], view[trials])
        assert view[trials].eq(0).any() and view[trials].gt(0).any()
        np.testing.assert_allclose(lower, view[f"{ratio}_lower"].astype(float), rtol=1e-12, atol=1e-15, equal_nan=True)
        np.testing.assert_allclose(upper, view[f"{ratio}_upper"].astype(float), rtol=1e-12, atol=1e-15, equal_nan=True)


# --------------------------------------------------------------------------- the figures

def test_default_selection(warehouse):
    pipe, events, _, _ = warehouse
    with pipe.connect() as con:
        selection = data.resolve_selection(con)
    assert selection.model_name == events["model_name"].value_counts().idxmax()
    assert selection.start == events["hour"].min().floor("D")
    assert selection.end == events["hour"].max() + pd.Timedelta(hours=1)
    last_day = events[events["hour"] >= pd.Timestamp(selection.end) - pd.Timedelta(hours=24)]
    assert selection.model_version == last_day["model_version"].value_counts().idxmax() == "v2"
    assert (selection.slice_name, selection.slice_value) == ("all", "all")


@pytest.mark.parametrize("options", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_heatmap_counts_equal_sklearn(warehouse, options):
    pipe, events, _, _ = warehouse
    with pipe.connect() as con:
        selection = data.resolve_selection(con, **options)
        matrix = data.confusion_matrix(data.confusion_counts(con, selection))
        page = render_report(con, **options)
    labeled = selected_rows(events, selection).dropna(subset=["actual_class"])
    assert len(labeled) > 20
    classes = sorted(set(labeled["actual_class"]) | set(labeled["predicted_class"]))
    expected = confusion_matrix(labeled["actual_class"], labeled["predicted_class"], labels=classes)
    assert list(matrix.index) == list(matrix.columns) == classes
    assert (matrix.to_numpy() == expected).all()
    # the page draws exactly those cells
    cells = {(a, p): int(n) for a, p, n in re.findall(
        r'data-actual="([^"]*)" data-predicted="([^"]*)" data-n="(\d+)"', page)}
    assert cells == {(a, p): int(expected[i, j]) for i, a in enumerate(classes) for j, p in enumerate(classes)}


@pytest.mark.parametrize("options", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_daily_precision_and_recall_equal_sklearn(warehouse, options):
    pipe, events, _, _ = warehouse
    with pipe.connect() as con:
        selection = data.resolve_selection(con, **options)
        got = data.daily_class_metrics(con, selection)
    labeled = selected_rows(events, selection).dropna(subset=["actual_class"])
    rows = []
    for day, of_day in labeled.groupby(labeled["hour"].dt.floor("D")):
        y_true, y_pred = of_day["actual_class"], of_day["predicted_class"]
        classes = sorted(set(y_true) | set(y_pred))
        precision, recall, _, support = precision_recall_fscore_support(y_true, y_pred, labels=classes,
                                                                        zero_division=np.nan)
        matrix = confusion_matrix(y_true, y_pred, labels=classes)
        for i, name in enumerate(classes):
            rows.append({"day": day, "class": name, "tp": matrix[i, i], "predicted": matrix[:, i].sum(),
                         "support": support[i], "precision": precision[i], "recall": recall[i]})
    expected = pd.DataFrame(rows)
    merged = got.merge(expected, on=["day", "class"], how="outer", suffixes=("", "_expected"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert len(merged) > 30
    for column in ("tp", "predicted", "support"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    for column in ("precision", "recall"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_expected"].astype(float), rtol=1e-12,
                                   equal_nan=True, err_msg=column)
    for ratio, trials in (("precision", "predicted"), ("recall", "support")):
        defined = merged[merged[trials] > 0]
        bounds = np.array([scipy_wilson(k, n) for k, n in zip(defined["tp"], defined[trials])])
        np.testing.assert_allclose(defined[f"{ratio}_lower"], bounds[:, 0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(defined[f"{ratio}_upper"], bounds[:, 1], rtol=1e-12, atol=1e-15)
        assert merged.loc[merged[trials] == 0, [f"{ratio}_lower", f"{ratio}_upper"]].isna().all().all()


@pytest.mark.parametrize("options", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_label_coverage_equals_a_count_of_the_rows(warehouse, options):
    pipe, events, as_of, _ = warehouse
    with pipe.connect() as con:
        selection = data.resolve_selection(con, **options)
        got = data.daily_label_coverage(con, selection)
        totals = data.period_totals(con, selection)
    rows = selected_rows(events, selection)
    per_day = rows.groupby(rows["hour"].dt.floor("D")).agg(
        n_predictions=("event_id", "size"), n_labeled=("actual_class", "count")).reset_index(names="day")
    assert len(per_day) >= 3
    assert got["day"].tolist() == per_day["day"].tolist()
    assert (got["n_predictions"].to_numpy() == per_day["n_predictions"].to_numpy()).all()
    assert (got["n_labeled"].to_numpy() == per_day["n_labeled"].to_numpy()).all()
    np.testing.assert_allclose(got["label_coverage"], per_day["n_labeled"] / per_day["n_predictions"], rtol=1e-12)
    # docs/slis_and_slos.md: a day's labels are final 24 h + label_delay_sla_hours (168) after it starts
    matured = per_day["day"] + pd.Timedelta(hours=24 + 168) <= as_of
    assert (got["labels_matured"].astype(bool).to_numpy() == matured.to_numpy()).all()
    assert totals == {"n_predictions": len(rows), "n_labeled": int(rows["actual_class"].notna().sum()),
                      "n_correct": int((rows["actual_class"] == rows["predicted_class"]).sum())}


def test_drift_table_is_the_newest_window_most_severe_first(warehouse):
    pipe, _, _, _ = warehouse
    onset_day_end = CFG.drift_start + timedelta(days=1)
    with pipe.connect() as con:
        selection = data.resolve_selection(con, end=onset_day_end)
        got = data.latest_drift(con, selection, limit=25)
        drift = con.execute("select * from marts.fct_feature_drift").df()
    mine = drift[(drift["model_name"] == selection.model_name)
                 & drift["model_version"].isin([selection.model_version, "all"])
                 & (drift["window_start"] >= selection.start) & (drift["window_start"] < selection.end)]
    window = mine[mine["window_start"] == mine["window_start"].max()].copy()
    assert got.window_start == CFG.drift_start == window["window_start"].max()
    assert window["severity"].nunique() >= 2, window["severity"].value_counts()
    assert got.severity_counts == {severity: int((window["severity"] == severity).sum())
                                   for severity in ("act", "investigate", "info", "none")}
    assert got.total_rows == len(window)
    window["rank"] = window["severity"].map({"act": 3, "investigate": 2, "info": 1, "none": 0})
    window = window.sort_values(["rank", "psi", "feature", "slice_name", "slice_value", "model_version"],
                                ascending=[False, False, True, True, True, True], na_position="last")
    key = ["slice_name", "slice_value", "model_version", "feature", "severity"]
    assert got.rows[key].values.tolist() == window.head(25)[key].values.tolist()


def test_slo_table_is_each_slos_latest_hour_in_the_period(warehouse):
    pipe, _, _, _ = warehouse
    options = SELECTIONS["eu-west, every version, part of the period"]
    with pipe.connect() as con:
        selection = data.resolve_selection(con, **options)
        got = data.slo_status(con, selection)
        status = con.execute("select * from marts.fct_slo_status").df()
    period = status[(status["model_name"] == selection.model_name) & (status["hour"] >= selection.start)
                    & (status["hour"] < selection.end)]
    key = ["slo_name", "slice_name", "slice_value"]
    latest = period.loc[period.groupby(key)["hour"].idxmax()]
    states = period.groupby(key)["alert_state"].value_counts().unstack(fill_value=0)
    assert len(got) == len(latest) and set(period["alert_state"]) >= {"ok", "ticket"}
    merged = got.merge(latest, on=key, suffixes=("", "_expected"))
    for column in ("hour", "sli_value", "error_budget_left_ratio", "burn_rate_1h", "burn_rate_72h", "alert_state"):
        assert merged[column].equals(merged[f"{column}_expected"]), column
    counts = states.reindex(pd.MultiIndex.from_frame(got[key]))
    assert (got["page_hours"].to_numpy() == counts.get("page", 0)).all()
    assert (got["ticket_hours"].to_numpy() == counts["ticket"].to_numpy()).all()
    # alerting rows first, then the least budget left
    rank = got["alert_state"].map({"page": 2, "ticket": 1, "ok": 0})
    assert rank.is_monotonic_decreasing
    for _, group in got.groupby(rank):
        assert group["error_budget_left_ratio"].is_monotonic_increasing


# --------------------------------------------------------------------------- the page

@pytest.mark.parametrize("options", [dict(model="no-such-model"),
                                     dict(start=datetime(2020, 1, 1), end=datetime(2020, 1, 2))],
                         ids=["unknown model", "period without data"])
def test_no_data_renders_notes_not_errors(warehouse, options):
    pipe, _, _, _ = warehouse
    with pipe.connect() as con:
        page = render_report(con, **options)
    assert "<svg class=\"chart\"" not in page
    notes = set(re.findall(r'data-no-data="([^"]+)"', page))
    assert notes == {"confusion-heatmap", "class-metrics", "label-coverage", "drift-table", "slo-status"}


def test_a_warehouse_without_marts_renders_notes(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    page = render_report(con)
    con.close()
    assert len(re.findall(r'data-no-data="', page)) == 5 and "<svg class=\"chart\"" not in page


def test_text_is_escaped(warehouse):
    pipe, _, _, _ = warehouse
    hostile = '<img src=x onerror="alert(1)">&'
    with pipe.connect() as con:
        page = render_report(con, slice_name="region", slice_value=hostile)
    assert hostile not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page


class _Charts(HTMLParser):
    """Counts the elements of the rendered DOM by data-chart and the heatmap cells."""

    def __init__(self):
        super().__init__()
        self.charts: dict[str, int] = {}
        self.cells = 0
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-chart" in attrs:
            self.charts[attrs["data-chart"]] = self.charts.get(attrs["data-chart"], 0) + 1
        if attrs.get("class") == "cell":
            self.cells += 1
        self.scripts += tag == "script"
        self.external += [value for name, value in attrs.items()
                          if name in ("src", "href") and value and not value.startswith(("#", "data:"))]


def test_report_renders_in_headless_chromium(warehouse, tmp_path):
    chromium = chromium_or_skip()
    _, events, _, copy = warehouse
    out = tmp_path / "reports" / "report.html"
    command = [sys.executable, "-m", "classifier_monitor", "report", "--db", str(copy), "--out", str(out)]
    printed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_DIR, timeout=120)
    assert printed.stdout.strip() == str(out.resolve())

    page = open_page(chromium, out, tmp_path / "chromium")
    assert page.console == [], page.console
    dom = _Charts()
    dom.feed(page.dom)
    assert set(dom.charts) == set(CHARTS), dom.charts
    v2 = events[events["model_version"] == "v2"].dropna(subset=["actual_class"])
    classes = set(v2["actual_class"]) | set(v2["predicted_class"])
    assert dom.charts["class-metrics"] == len(classes) and dom.cells == len(classes) ** 2
    assert dom.scripts == 0 and dom.external == []

    png = page.screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1400, 3000)
    # a blank page of that size compresses to a few kilobytes; charts and text do not
    assert len(png) > 100_000, len(png)


def test_console_errors_are_detected(tmp_path):
    """The check above can fail: a script error, console.error and a blocked
    external load all reach the console list."""
    chromium = chromium_or_skip()
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
                      "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
                      "<img src='https://example.invalid/x.png'><script>console.error('boom'); missing();</script>"
                      "</body></html>")
    console = open_page(chromium, broken, tmp_path / "chromium").console
    assert any("boom" in line for line in console), console
    assert any("Uncaught ReferenceError" in line for line in console), console
    assert any("Content Security Policy" in line for line in console), console
