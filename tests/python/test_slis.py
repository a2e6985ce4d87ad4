"""SLIs, calibration and intervals against independent computations on the same
rows: pandas/numpy for counts, rates and nearest-rank percentiles, numpy for
ECE, scikit-learn for the Brier score, the textbook Wilson formula.

One small generated data set (drift episode, late labels, retries, malformed
rows) is built once; hours near the end are left without matured labels."""
from __future__ import annotations

import json
import math
import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss

from classifier_monitor.contract import CATEGORICAL_FEATURES, NUMERIC_FEATURES, SLICE_COLUMNS
from classifier_monitor.generator import CLASSES, GeneratorConfig, deliver, generate
from classifier_monitor.pipeline import Pipeline
from oracle import MISSING, accepted_inferences, applied_labels

KEY = ["hour", "model_name", "model_version", "slice_name", "slice_value"]
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
SLA_HOURS = 36
KNOWN = [name for name in CLASSES if name != "books"]   # 'books' predictions count as unknown here
LATENCY_FLOOR, LATENCY_GROWTH = 0.01, 1.1
DELAY_FLOOR, DELAY_GROWTH = 1.0, 1.2
Z = 1.959963984540054
VARS = {"label_delay_sla_hours": SLA_HOURS, "known_classes": KNOWN}


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_work_dir):
    """(connection factory, events with labels) after one build of 3 days of traffic."""
    pipe = Pipeline(tmp_path_factory.mktemp("slis") / "w.duckdb", work_dir=dbt_work_dir)
    cfg = GeneratorConfig(n_inferences=8_000, days=3, drift_start_day=2, seed=7)
    with pipe.connect() as con:
        generate(con, cfg)
        deliver(con, until=cfg.end + timedelta(days=1))
    pipe.build(vars=VARS)
    with pipe.connect() as con:
        raw_inferences = con.execute("select * from raw.inference_events").df()
        raw_labels = con.execute("select * from raw.label_events").df()
    events = accepted_inferences(raw_inferences)
    labels = applied_labels(raw_labels)[["event_id", "label", "labeled_at"]].rename(columns={"label": "actual_class"})
    events = events.merge(labels, on="event_id", how="left")
    events["hour"] = events["event_time"].dt.floor("h")
    events["is_error"] = events["is_error"].fillna(False).astype(bool)
    for column in SLICE_COLUMNS:
        events[column] = events[column].where(events[column].notna(), MISSING)
    as_of = max(raw_inferences["ingested_at"].max(), raw_labels["ingested_at"].max())
    return pipe, events, as_of


def with_slices(events: pd.DataFrame) -> pd.DataFrame:
    """Every event once per slice group: 'all', then each slice column."""
    parts = [events.assign(slice_name="all", slice_value="all")]
    for column in SLICE_COLUMNS:
        parts.append(events.assign(slice_name=column, slice_value=events[column]))
    return pd.concat(parts, ignore_index=True)


def table(pipe, sql: str) -> pd.DataFrame:
    with pipe.connect() as con:
        return con.execute(sql).df()


def nearest_rank(values: np.ndarray, p: int) -> float:
    """The k-th smallest value, k = ceil(p * n / 100): numpy's 'inverted_cdf' percentile."""
    ordered = np.sort(values)
    k = max(1, -(-p * len(ordered) // 100))
    return float(ordered[k - 1])


def within_bucket_resolution(estimate: float, exact: float, floor: float, growth: float) -> bool:
    alpha = (growth - 1) / (growth + 1)
    if exact <= floor:
        return abs(estimate - exact) <= floor
    return abs(estimate - exact) <= alpha * exact * (1 + 1e-9)


def expected_ece(scores: np.ndarray, correct: np.ndarray) -> float:
    """Top-label ECE with 10 equal-width bins [b/10, (b+1)/10), 1.0 in the last bin."""
    bins = np.minimum(np.floor(scores * 10), 9).astype(int)
    total = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        total += in_bin.sum() / len(scores) * abs(correct[in_bin].mean() - scores[in_bin].mean())
    return total


def merged(actual: pd.DataFrame, expected: pd.DataFrame, keys=KEY) -> pd.DataFrame:
    frame = actual.merge(expected, on=keys, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (frame["_merge"] == "both").all(), frame[frame["_merge"] != "both"].head()
    return frame


def test_inference_slis_match_pandas(built):
    pipe, events, _ = built
    rows = with_slices(events)
    grouped = rows.groupby(KEY)
    expected = pd.DataFrame({
        "n_predictions": grouped.size(),
        "n_errors": grouped["is_error"].sum(),
        "n_latency": grouped["latency_ms"].count(),
        "n_scored": grouped["predicted_score"].count(),
        "mean_predicted_score": grouped["predicted_score"].mean(),
        "n_unknown_class": grouped["predicted_class"].apply(lambda s: (~s.isin(KNOWN)).sum()),
        "newest_ingested_at": grouped["ingested_at"].max(),
        **{f"{feature}_null_count": grouped[feature].apply(lambda s: s.isna().sum()) for feature in FEATURES},
    }).reset_index()
    actual = table(pipe, "select * from marts.fct_slis_hourly")
    frame = merged(actual, expected)
    assert len(frame) > 500
    for column in ["n_predictions", "n_errors", "n_latency", "n_scored", "n_unknown_class"] + [
            f"{feature}_null_count" for feature in FEATURES]:
        assert (frame[column] == frame[f"{column}_expected"]).all(), column
    assert frame["n_unknown_class"].sum() > 0 and frame["n_errors"].sum() > 0
    assert (frame["newest_ingested_at"] == frame["newest_ingested_at_expected"]).all()
    np.testing.assert_allclose(frame["error_rate"], frame["n_errors"] / frame["n_predictions"], rtol=1e-12)
    np.testing.assert_allclose(frame["unknown_class_rate"], frame["n_unknown_class"] / frame["n_predictions"], rtol=1e-12)
    for feature in FEATURES:
        np.testing.assert_allclose(frame[f"{feature}_null_rate"], frame[f"{feature}_null_count_expected"]
                                   / frame["n_predictions"], rtol=1e-12)
    # scores are summed in micro-units: the mean is within 5e-7 of the exact mean
    np.testing.assert_allclose(frame["mean_predicted_score"], frame["mean_predicted_score_expected"], atol=5e-7, rtol=0)


def test_latency_percentiles_within_bucket_resolution(built):
    pipe, events, _ = built
    actual = table(pipe, "select * from marts.fct_slis_hourly").set_index(KEY)
    checked = 0
    for key, group in with_slices(events).groupby(KEY):
        latencies = group["latency_ms"].dropna().to_numpy()
        for p in (50, 95, 99):
            exact = nearest_rank(latencies, p)
            assert exact == np.percentile(latencies, p, method="inverted_cdf")
            estimate = actual.loc[key, f"latency_p{p}_ms"]
            assert within_bucket_resolution(estimate, exact, LATENCY_FLOOR, LATENCY_GROWTH), (key, p, estimate, exact)
            checked += 1
    assert checked > 1500


def test_latency_histogram_counts_every_latency_once(built):
    pipe, events, _ = built
    histogram = table(pipe, "select * from marts.fct_latency_histogram_hourly")
    totals = histogram.groupby(KEY)["n"].sum()
    expected = with_slices(events).groupby(KEY)["latency_ms"].count()
    pd.testing.assert_series_equal(totals.sort_index(), expected[expected > 0].sort_index(), check_names=False,
                                   check_dtype=False)
    # every value lies inside the bounds of its bucket
    sample = events.dropna(subset=["latency_ms"]).head(300)
    for latency in sample["latency_ms"]:
        bucket = 0 if latency <= LATENCY_FLOOR else math.ceil(math.log(latency / LATENCY_FLOOR) / math.log(LATENCY_GROWTH))
        row = histogram[histogram["bucket"] == bucket].iloc[0]
        assert (row["lower_bound_ms"] or 0) * (1 - 1e-12) <= latency <= row["upper_bound_ms"] * (1 + 1e-12)


def test_label_slis_match_pandas(built):
    pipe, events, as_of = built
    rows = with_slices(events)
    rows["labeled"] = rows["actual_class"].notna()
    rows["correct"] = rows["labeled"] & (rows["actual_class"] == rows["predicted_class"])
    grouped = rows.groupby(KEY)
    expected = pd.DataFrame({
        "n_labeled": grouped["labeled"].sum(),
        "n_correct": grouped["correct"].sum(),
        "mean_confidence": rows[rows["labeled"]].groupby(KEY)["predicted_score"].mean(),
    }).reset_index()
    expected["mean_confidence"] = expected["mean_confidence"].astype(float)
    actual = table(pipe, "select * from marts.fct_slis_hourly")
    frame = merged(actual, expected)
    assert (frame["n_labeled"] == frame["n_labeled_expected"]).all()
    assert (frame["n_correct"] == frame["n_correct_expected"]).all()
    np.testing.assert_allclose(frame["label_coverage"], frame["n_labeled_expected"] / frame["n_predictions"], rtol=1e-12)
    labeled = frame["n_labeled"] > 0
    np.testing.assert_allclose(frame.loc[labeled, "accuracy"],
                               frame.loc[labeled, "n_correct_expected"] / frame.loc[labeled, "n_labeled_expected"],
                               rtol=1e-12)
    assert frame.loc[~labeled, "accuracy"].isna().all() and frame.loc[~labeled, "mean_confidence"].isna().all()
    np.testing.assert_allclose(frame.loc[labeled, "mean_confidence"], frame.loc[labeled, "mean_confidence_expected"],
                               atol=5e-7, rtol=0)
    # maturity: the hour's end plus the SLA, against the newest ingested_at in the data
    mature_at = frame["hour"] + pd.Timedelta(hours=SLA_HOURS + 1)
    assert (frame["labels_mature_at"] == mature_at).all()
    assert (frame["labels_matured"] == (mature_at <= as_of)).all()
    assert frame["labels_matured"].any() and not frame["labels_matured"].all()


def test_label_delay_percentiles_within_bucket_resolution(built):
    pipe, events, _ = built
    labeled = with_slices(events[events["actual_class"].notna()])
    labeled["delay"] = (labeled["labeled_at"] - labeled["event_time"]).dt.total_seconds()
    actual = table(pipe, "select * from marts.fct_slis_hourly").set_index(KEY)
    checked = 0
    for key, group in labeled.groupby(KEY):
        for p in (50, 95):
            exact = nearest_rank(group["delay"].to_numpy(), p)
            estimate = actual.loc[key, f"label_delay_p{p}_seconds"]
            assert within_bucket_resolution(estimate, exact, DELAY_FLOOR, DELAY_GROWTH), (key, p, estimate, exact)
            checked += 1
    assert checked > 1000
    unlabeled_keys = set(actual.index) - set(labeled.groupby(KEY).groups)
    assert actual.loc[list(unlabeled_keys), "label_delay_p50_seconds"].isna().all()


def test_ece_and_brier_match_independent_implementations(built):
    pipe, events, _ = built
    labeled = with_slices(events[events["actual_class"].notna()])
    actual = table(pipe, "select * from marts.fct_slis_hourly").set_index(KEY)
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # rounded score vectors sum to 1 within 5e-6 only
        for key, group in labeled.groupby(KEY):
            scores = group["predicted_score"].to_numpy()
            correct = (group["actual_class"] == group["predicted_class"]).to_numpy()
            assert actual.loc[key, "expected_calibration_error"] == pytest.approx(expected_ece(scores, correct), abs=1e-6)
            vectors = [json.loads(text) for text in group["class_scores"]]
            classes = sorted(CLASSES)   # scikit-learn orders the probability columns by sorted label
            probabilities = np.array([[vector.get(name, 0.0) for name in classes] for vector in vectors])
            expected = brier_score_loss(group["actual_class"], probabilities, labels=classes)
            # each event's Brier term is stored in units of 1e-9
            assert actual.loc[key, "brier_score"] == pytest.approx(expected, abs=1e-9)
            assert actual.loc[key, "n_brier"] == len(group)
            checked += 1
    assert checked > 500


def test_calibration_bins_are_additive_sums(built):
    pipe, events, _ = built
    labeled = with_slices(events[events["actual_class"].notna()]).copy()
    labeled["confidence_bin"] = np.minimum(np.floor(labeled["predicted_score"] * 10), 9).astype(int)
    labeled["correct"] = labeled["actual_class"] == labeled["predicted_class"]
    grouped = labeled.groupby(KEY + ["confidence_bin"])
    expected = pd.DataFrame({"n_labeled": grouped.size(), "n_correct": grouped["correct"].sum(),
                             "confidence_sum": grouped["predicted_score"].sum()}).reset_index()
    actual = table(pipe, "select * from marts.fct_calibration_hourly")
    frame = merged(actual, expected, KEY + ["confidence_bin"])
    assert (frame["n_labeled"] == frame["n_labeled_expected"]).all()
    assert (frame["n_correct"] == frame["n_correct_expected"]).all()
    # scores are summed in micro-units: at most 5e-7 off per event
    assert ((frame["confidence_sum"] - frame["confidence_sum_expected"]).abs() <= 5e-7 * frame["n_labeled"] + 1e-9).all()
    assert ((frame["bin_lower"] <= frame["mean_confidence"] + 1e-12) & (frame["mean_confidence"] <= frame["bin_upper"])).all()
    # re-aggregated over a whole day and every version, the bins give that day's ECE
    day = labeled["hour"].min().floor("D")
    rows = labeled[(labeled["slice_name"] == "all") & (labeled["hour"].dt.floor("D") == day)]
    bins = frame[(frame["slice_name"] == "all") & (frame["hour"].dt.floor("D") == day)].groupby("confidence_bin")[
        ["n_labeled", "n_correct", "confidence_sum"]].sum()
    ece = (bins["n_correct"] - bins["confidence_sum"]).abs().sum() / bins["n_labeled"].sum()
    assert ece == pytest.approx(expected_ece(rows["predicted_score"].to_numpy(), rows["correct"].to_numpy()), abs=1e-6)


def test_predicted_class_distribution(built):
    pipe, events, _ = built
    rows = with_slices(events)
    expected = rows.groupby(KEY + ["predicted_class"]).size().rename("n_expected").reset_index()
    actual = table(pipe, "select * from marts.fct_predicted_class_hourly")
    frame = merged(actual, expected, KEY + ["predicted_class"])
    assert (frame["n_predictions"] == frame["n_expected"]).all()
    totals = frame.groupby(KEY)["n_expected"].transform("sum")
    np.testing.assert_allclose(frame["share"], frame["n_expected"] / totals, rtol=1e-12)


def test_daily_rollup_merges_histograms(built):
    pipe, events, as_of = built
    rows = with_slices(events)
    rows["day"] = rows["hour"].dt.floor("D")
    daily = table(pipe, "select * from marts.fct_slis_daily").set_index(["day"] + KEY[1:])
    hourly = table(pipe, "select * from marts.fct_slis_hourly")
    hourly["day"] = hourly["hour"].dt.floor("D")
    sums = hourly.groupby(["day"] + KEY[1:])[["n_predictions", "n_errors", "n_labeled", "n_correct", "n_brier"]].sum()
    for column in sums.columns:
        assert (daily.loc[sums.index, column] == sums[column]).all(), column
    assert len(daily) == len(sums)
    checked = 0
    for key, group in rows.groupby(["day"] + KEY[1:]):
        latencies = group["latency_ms"].dropna().to_numpy()
        for p in (50, 95, 99):
            assert within_bucket_resolution(daily.loc[key, f"latency_p{p}_ms"], nearest_rank(latencies, p),
                                            LATENCY_FLOOR, LATENCY_GROWTH), (key, p)
        labeled = group[group["actual_class"].notna()]
        if len(labeled):
            correct = (labeled["actual_class"] == labeled["predicted_class"]).to_numpy()
            assert daily.loc[key, "expected_calibration_error"] == pytest.approx(
                expected_ece(labeled["predicted_score"].to_numpy(), correct), abs=1e-6)
            delays = (labeled["labeled_at"] - labeled["event_time"]).dt.total_seconds().to_numpy()
            assert within_bucket_resolution(daily.loc[key, "label_delay_p95_seconds"], nearest_rank(delays, 95),
                                            DELAY_FLOOR, DELAY_GROWTH)
        checked += 1
    assert checked == len(daily)
    # a day has matured when its last hour has (whether or not that hour had traffic)
    daily = daily.reset_index()
    assert (daily["labels_mature_at"] == daily["day"] + pd.Timedelta(hours=24 + SLA_HOURS)).all()
    assert (daily["labels_matured"] == (daily["labels_mature_at"] <= as_of)).all()
    assert daily["labels_matured"].any() and not daily["labels_matured"].all()


def wilson(successes: float, trials: float, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval, as printed in Wilson (1927) / Agresti & Coull (1998)."""
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / denominator, (centre + spread) / denominator


def test_wilson_intervals_and_low_support(built):
    pipe, _, _ = built
    frame = table(pipe, "select * from marts.fct_class_metrics_intervals_hourly")
    assert len(frame) > 1000
    for column_prefix, trials in (("precision", "predicted"), ("recall", "support")):
        defined = frame[frame[trials] > 0]
        bounds = np.array([wilson(row.tp, getattr(row, trials)) for row in defined.itertuples()])
        np.testing.assert_allclose(defined[f"{column_prefix}_lower"], np.clip(bounds[:, 0], 0, 1), atol=1e-12)
        np.testing.assert_allclose(defined[f"{column_prefix}_upper"], np.clip(bounds[:, 1], 0, 1), atol=1e-12)
        assert ((defined[f"{column_prefix}_lower"] <= defined[column_prefix] + 1e-12)
                & (defined[column_prefix] <= defined[f"{column_prefix}_upper"] + 1e-12)).all()
        undefined = frame[frame[trials] == 0]
        assert undefined[f"{column_prefix}_lower"].isna().all() and undefined[f"{column_prefix}_upper"].isna().all()
        assert (frame[f"{column_prefix}_low_support"] == (frame[trials] < 30)).all()
    # three samples, all right: the interval still admits a recall of 0.44
    assert wilson(3, 3)[0] == pytest.approx(0.4385, abs=1e-4)


def test_freshness_view(built):
    pipe, events, as_of = built
    frame = table(pipe, "select * from marts.fct_sli_freshness where slice_name = 'all'")
    for row in frame.itertuples():
        rows = events[(events["model_name"] == row.model_name) & (events["model_version"] == row.model_version)]
        assert row.newest_event_time == rows["event_time"].max()
        assert row.newest_inference_ingested_at == rows["ingested_at"].max()
        assert row.newest_labeled_at == rows["labeled_at"].max()
        assert row.data_as_of == as_of
        assert row.inference_lag_seconds == pytest.approx((as_of - rows["ingested_at"].max()).total_seconds(), abs=1e-3)
        assert row.inference_age_seconds >= row.inference_lag_seconds
