"""SLO status on constructed traffic whose alerts are known in advance: a fast
burn pages and the page clears within the hour after the burn stops, a slow
steady burn opens a ticket, a low burn stays quiet, and a tiny slice never
pages however bad its handful of events is. Good/total events, error budgets
and burn rates are checked against pandas rolling sums, label-based SLOs only
count matured hours, and an incremental build equals a full refresh."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from classifier_monitor.contract import append_rows
from snapshots import assert_same_state, snapshot

START = datetime(2026, 5, 1)
HOURS = 96
BURST = range(84, 87)      # 'fast': 30% errors in these hours, none elsewhere
SLA_HOURS = 24
SLOS = [
    {"name": "errors", "sli": "error_rate", "objective": 0.99, "window_days": 2, "slices": ["all", "region"]},
    {"name": "fast_enough", "sli": "latency_under_ms", "threshold_ms": 100, "objective": 0.9, "window_days": 2,
     "slices": ["region"]},
    {"name": "fresh", "sli": "freshness", "threshold_minutes": 15, "objective": 0.9, "window_days": 2, "slices": ["all"]},
    {"name": "acc", "sli": "accuracy", "objective": 0.7, "window_days": 2, "slices": ["all"]},
    {"name": "recall_a", "sli": "class_recall", "class": "a", "objective": 0.7, "window_days": 2, "slices": ["region"]},
    {"name": "coverage", "sli": "label_coverage", "objective": 0.5, "window_days": 2, "slices": ["all"]},
]
VARS = {"slos": SLOS, "label_delay_sla_hours": SLA_HOURS}
WINDOWS = [1, 6, 24, 72]


def is_error(region: str, hour: int, i: int) -> bool:
    if region == "fast":
        return hour in BURST and i < 30
    if region == "slow":
        return i < 2                        # 2%: burn rate 2 against a 1% budget
    if region == "quiet":
        return hour % 4 == 1 and i == 0     # 0.25%: burn rate 0.25
    return i == 0                           # 'tiny': 1 of its 2 events, every hour


def traffic() -> tuple[list[dict], list[dict]]:
    inferences, labels = [], []
    for hour in range(HOURS):
        for region, volume in (("fast", 100), ("slow", 100), ("quiet", 100), ("tiny", 2)):
            for i in range(volume):
                event_time = START + timedelta(hours=hour, seconds=30 * i)
                event_id = f"{region}-{hour:03d}-{i:03d}"
                predicted = "a" if i % 2 == 0 else "b"
                inferences.append({
                    "event_id": event_id, "event_time": event_time,
                    "ingested_at": event_time + timedelta(minutes=i % 20),
                    "model_name": "m", "model_version": "v1", "predicted_class": predicted, "predicted_score": 0.8,
                    "latency_ms": 50.0 + 2 * (i % 100), "is_error": is_error(region, hour, i),
                    "region": region, "device": "web", "channel": "app",
                })
                if i % 10 != 9:     # 90% get a label, 8 of those 9 right
                    label = predicted if i % 10 < 8 else ("b" if predicted == "a" else "a")
                    labels.append({"event_id": event_id, "label": label,
                                   "labeled_at": event_time + timedelta(hours=1),
                                   "ingested_at": event_time + timedelta(hours=1, minutes=1), "label_source": "test"})
    return inferences, labels


@pytest.fixture(scope="module")
def status(tmp_path_factory, dbt_work_dir):
    """The SLO status after two incremental builds, plus the raw traffic as frames."""
    from classifier_monitor.contract import create_raw_tables
    from classifier_monitor.pipeline import Pipeline

    pipe = Pipeline(tmp_path_factory.mktemp("slo") / "w.duckdb", work_dir=dbt_work_dir)
    inferences, labels = traffic()
    split = START + timedelta(hours=60)
    with pipe.connect() as con:
        create_raw_tables(con)
        append_rows(con, "inference_events", [row for row in inferences if row["ingested_at"] <= split])
        append_rows(con, "label_events", [row for row in labels if row["ingested_at"] <= split])
    pipe.build(vars=VARS)
    with pipe.connect() as con:
        append_rows(con, "inference_events", [row for row in inferences if row["ingested_at"] > split])
        append_rows(con, "label_events", [row for row in labels if row["ingested_at"] > split])
    pipe.build(vars=VARS)
    with pipe.connect() as con:
        frame = con.execute("select * from marts.fct_slo_status").df()
        incremental = snapshot(con, ["marts.fct_slo_status", "marts.fct_slis_hourly"])
    return pipe, frame, pd.DataFrame(inferences), pd.DataFrame(labels), incremental


def states(frame: pd.DataFrame, region: str) -> dict[int, str]:
    rows = frame[(frame["slo_name"] == "errors") & (frame["slice_value"] == region)]
    return {int((row.hour - START).total_seconds() // 3600): row.alert_state for row in rows.itertuples()}


def test_fast_burn_pages_then_clears(status):
    _, frame, _, _, _ = status
    observed = states(frame, "fast")
    expected = {hour: "page" if hour in BURST else "ticket" if 87 <= hour <= 91 else "ok" for hour in range(HOURS)}
    assert observed == expected


def test_slow_burn_opens_a_ticket_and_never_pages(status):
    _, frame, _, _, _ = status
    assert set(states(frame, "slow").values()) == {"ticket"}


def test_low_burn_stays_quiet(status):
    _, frame, _, _, _ = status
    assert set(states(frame, "quiet").values()) == {"ok"}


def test_tiny_slice_never_pages(status):
    _, frame, _, _, _ = status
    observed = states(frame, "tiny")
    # burn rate 50 everywhere, but the 1h and 6h windows never hold 30 events; 72h does from hour 14
    assert observed == {hour: "ticket" if hour >= 14 else "ok" for hour in range(HOURS)}
    rows = frame[(frame["slo_name"] == "errors") & (frame["slice_value"] == "tiny")]
    np.testing.assert_allclose(rows["burn_rate_1h"], 50.0, rtol=1e-9)


def expected_hourly_events(inferences: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Good and total events per SLO, slice and hour, straight from the rows."""
    events = inferences.merge(labels[["event_id", "label"]], on="event_id", how="left")
    events["hour"] = events["event_time"].dt.floor("h")
    as_of = max(inferences["ingested_at"].max(), labels["ingested_at"].max())
    events["matured"] = events["hour"] + pd.Timedelta(hours=SLA_HOURS + 1) <= as_of
    labeled = events["label"].notna()
    measures = {
        "errors": (~events["is_error"], pd.Series(True, index=events.index)),
        "fast_enough": (events["latency_ms"] <= 100, pd.Series(True, index=events.index)),
        "fresh": (events["ingested_at"] - events["event_time"] <= pd.Timedelta(minutes=15),
                  pd.Series(True, index=events.index)),
        "acc": (labeled & (events["label"] == events["predicted_class"]) & events["matured"], labeled & events["matured"]),
        "recall_a": ((events["label"] == "a") & (events["predicted_class"] == "a") & events["matured"],
                     (events["label"] == "a") & events["matured"]),
        "coverage": (labeled & events["matured"], events["matured"]),
    }
    rows = []
    for slo in SLOS:
        good, total = measures[slo["name"]]
        frame = events.assign(good=good.astype(int), total=total.astype(int))
        for slice_name in slo["slices"]:
            values = frame["region"] if slice_name == "region" else pd.Series("all", index=frame.index)
            grouped = frame.assign(slice_value=values).groupby(["slice_value", "hour"])[["good", "total"]].sum()
            grouped = grouped[grouped["total"] > 0].reset_index()
            rows.append(grouped.assign(slo_name=slo["name"], slice_name=slice_name))
    return pd.concat(rows, ignore_index=True)


def test_events_budgets_and_burn_rates_match_rolling_sums(status):
    _, frame, inferences, labels, _ = status
    expected = expected_hourly_events(inferences, labels)
    merged = frame.merge(expected, on=["slo_name", "slice_name", "slice_value", "hour"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][["slo_name", "hour", "_merge"]]
    assert (merged["hour_good_events"] == merged["good"]).all() and (merged["hour_total_events"] == merged["total"]).all()
    # label-based SLOs have no rows for hours whose labels have not matured
    for name in ("acc", "recall_a", "coverage"):
        latest = frame.loc[frame["slo_name"] == name, "hour"].max()
        assert latest < frame["hour"].max() - pd.Timedelta(hours=SLA_HOURS - 2)
    objectives = {slo["name"]: slo["objective"] for slo in SLOS}
    for (name, slice_name, slice_value), rows in merged.groupby(["slo_name", "slice_name", "slice_value"]):
        series = rows.set_index("hour").sort_index()
        hours = series.index
        for window in WINDOWS + [48]:
            good, total = [], []
            for hour in hours:
                inside = (hours > hour - pd.Timedelta(hours=window)) & (hours <= hour)
                good.append(series["good"][inside].sum())
                total.append(series["total"][inside].sum())
            good, total = np.array(good), np.array(total)
            burn = (total - good) / total / (1 - objectives[name])
            if window == 48:    # the compliance window (2 days)
                assert (series["good_events"].to_numpy() == good).all() and (series["total_events"].to_numpy() == total).all()
                budget = (1 - objectives[name]) * total
                np.testing.assert_allclose(series["error_budget_total"], budget, rtol=1e-12)
                assert (series["error_budget_consumed"].to_numpy() == total - good).all()
                np.testing.assert_allclose(series["error_budget_left"], budget - (total - good), rtol=1e-9, atol=1e-9)
                np.testing.assert_allclose(series["error_budget_left_ratio"], 1 - (total - good) / budget, rtol=1e-9)
                np.testing.assert_allclose(series["sli_value"], good / total, rtol=1e-12)
            else:
                np.testing.assert_allclose(series[f"burn_rate_{window}h"], burn, rtol=1e-12,
                                           err_msg=f"{name} {slice_value} {window}h")


def test_incremental_equals_full_refresh(status):
    pipe, _, _, _, incremental = status
    pipe.build(full_refresh=True, vars=VARS)
    with pipe.connect() as con:
        full = snapshot(con, list(incremental))
    assert_same_state(incremental, full)
