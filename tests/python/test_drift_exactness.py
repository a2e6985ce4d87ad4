"""fct_feature_drift end to end on crafted inferences and labels: every row
equals an independent scipy/numpy computation on the raw rows (drift_oracle),
including ties, negative values, zeros, missing values, rare and new
categories; and the edge cases give clear results: no reference, a constant
feature, a single category, an all-missing feature, a slice absent from a window."""
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from classifier_monitor.contract import append_rows
from drift_oracle import expected_row

START = datetime(2026, 3, 2)          # a Monday; drift windows are days
DAYS = 4
SELECT = "+fct_feature_drift"


def crafted_rows(seed: int = 7):
    rng = np.random.default_rng(seed)
    inferences, labels = [], []
    classes = ["a", "b", "c"]
    for day in range(DAYS):
        n = 260 + 40 * day
        for i in range(n):
            event_time = START + timedelta(days=day, seconds=int(rng.integers(0, 86_400)))
            region = rng.choice(["eu", "us", None], p=[0.5, 0.45, 0.05])
            if day == 2 and region == "us":
                region = "eu"                       # 'us' has no rows on day 2
            shift = 0.8 if day == 3 else 0.0
            event_id = f"e{day}-{i:04d}"
            predicted = str(rng.choice(classes, p=[0.5, 0.3, 0.2] if day < 3 else [0.2, 0.3, 0.5]))
            inferences.append({
                "event_id": event_id,
                "event_time": event_time,
                "ingested_at": event_time + timedelta(seconds=30),
                "model_name": "m",
                "model_version": "v1" if rng.random() < 0.8 else "v2",
                "predicted_class": predicted,
                "predicted_score": float(np.round(rng.uniform(0.3, 1.0), 2)),   # many ties
                "latency_ms": 10.0,
                "is_error": False,
                "region": region,
                "device": str(rng.choice(["mobile", "desktop"])),
                "channel": str(rng.choice(["web", "app"])),
                # ties, negatives and zeros; a shift on the last day
                "amount": float(np.round(rng.normal(shift, 1.0), 1)) if rng.random() > 0.1 else None,
                "account_age_days": float(rng.integers(0, 30)),
                # all missing on day 1
                "session_seconds": None if day == 1 else float(rng.exponential(100.0)),
                "basket_size": 1.0,                                            # constant
                "discount_pct": float(rng.choice([0.0, 0.0, 10.0, -5.0])),
                # a rare category, and a new one on the last day
                "browser": str(rng.choice(["chrome", "safari", "lynx"], p=[0.6, 0.395, 0.005]))
                if day < 3 else str(rng.choice(["chrome", "safari", "netsurf"], p=[0.5, 0.3, 0.2])),
                "payment_method": "card",                                       # one category
                "referrer": rng.choice(["search", "direct", None], p=[0.5, 0.3, 0.2]),
            })
            if rng.random() < 0.7:
                truth = predicted if rng.random() < 0.8 else str(rng.choice(classes))
                labels.append({"event_id": event_id, "label": truth, "labeled_at": event_time + timedelta(hours=1),
                               "ingested_at": event_time + timedelta(hours=1, seconds=5), "label_source": "review"})
    return inferences, labels


# a reference sliding with every window, and one fixed reference shared by all
CONFIGS = {
    "sliding": {"drift_reference_step": 1},
    "fixed": {"drift_reference_mode": "fixed", "drift_reference_start": str(START),
              "drift_reference_end": str(START + timedelta(days=2))},
    # one bucket per octave: most buckets hold values of both samples, so KS,
    # Wasserstein and the PSI edges come from the values read back
    "coarse": {"drift_reference_step": 1, "drift_bucket_resolution": 1},
    # no slice columns: the histograms' overall group comes from the rows, not
    # from the first slice column's histogram
    "no_slice_columns": {"drift_reference_step": 1, "slice_columns": [], "slos": []},
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def built(request, tmp_path_factory, dbt_work_dir):
    from classifier_monitor.contract import create_raw_tables
    from classifier_monitor.pipeline import Pipeline

    pipe = Pipeline(tmp_path_factory.mktemp("drift_exact") / "w.duckdb", work_dir=dbt_work_dir)
    inferences, labels = crafted_rows()
    with pipe.connect() as con:
        create_raw_tables(con)
        append_rows(con, "inference_events", inferences)
        append_rows(con, "label_events", labels)
    pipe.build(select=SELECT, vars=CONFIGS[request.param])
    with pipe.connect() as con:
        drift = con.execute("select * from marts.fct_feature_drift").df()
    return request.param, drift, pd.DataFrame(inferences), pd.DataFrame(labels)[["event_id", "label"]]


STATISTICS = ["n_reference", "n_current", "n_reference_missing", "n_current_missing", "ks_statistic", "ks_pvalue",
              "wasserstein", "wasserstein_normalized", "reference_std", "psi", "chi2_pvalue", "js_distance",
              "n_categories", "new_categories"]


# fewer slice groups give fewer rows to check
MIN_ROWS = {"no_slice_columns": 30}


def test_every_row_equals_scipy_on_the_raw_rows(built):
    config, drift, events, labels = built
    min_rows = MIN_ROWS.get(config, 350)
    assert len(drift) > min_rows
    assert set(drift["feature_type"]) == {"numeric", "categorical", "prediction", "label"}
    checked = 0
    for _, row in drift.iterrows():
        expected = expected_row(events, labels, row)
        for column in STATISTICS:
            if column not in expected:
                if column not in ("new_categories",):
                    assert pd.isna(row[column]), (column, row.to_dict())
                continue
            want, got = expected[column], row[column]
            if want is None or (isinstance(want, float) and np.isnan(want)):
                assert pd.isna(got), (column, row.to_dict(), want)
            elif isinstance(want, str):
                assert got == want, (column, row.to_dict())
            elif column == "ks_statistic":
                assert abs(got - want) <= 1e-9, (column, row.to_dict(), want)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (column, row.to_dict(), want)
            checked += 1
    assert checked > 7 * min_rows


def test_a_window_without_reference_has_no_statistics(built):
    config, drift, _, _ = built
    if config == "fixed":
        pytest.skip("every window has the fixed reference")
    first = drift[drift["window_start"] == pd.Timestamp(START)]
    assert len(first) and (first["n_reference"] == 0).all()
    assert first[["psi", "ks_statistic", "ks_pvalue", "js_distance", "chi2_pvalue"]].isna().all().all()
    assert (first["severity"] == "none").all() and (first["severity_reason"] == "no reference data").all()


def test_constant_feature_single_category_and_missing_feature(built):
    _, drift, _, _ = built
    later = drift[(drift["window_start"] > pd.Timestamp(START)) & (drift["slice_name"] == "all")]
    constant = later[later["feature"] == "basket_size"]
    assert (constant["ks_statistic"] == 0).all() and (constant["ks_pvalue"] == 1).all()
    assert (constant["wasserstein"] == 0).all() and constant["wasserstein_normalized"].isna().all()
    assert (constant["psi"] == 0).all() and (constant["severity"] == "none").all()
    single = later[later["feature"] == "payment_method"]
    assert (single["psi"] == 0).all() and (single["js_distance"] == 0).all() and (single["chi2_pvalue"] == 1).all()
    missing = later[(later["feature"] == "session_seconds") & (later["window_start"] == pd.Timestamp(START + timedelta(days=1)))]
    assert len(missing) and (missing["n_current_missing"] == missing["n_current"]).all()
    assert missing[["ks_statistic", "ks_pvalue", "wasserstein"]].isna().all().all()
    assert (missing["psi"] > 1).all()          # every value went missing: the missing bin says so


def test_a_slice_absent_from_a_window_has_no_row(built):
    config, drift, _, _ = built
    if "region" not in CONFIGS[config].get("slice_columns", ["region"]):
        pytest.skip("region is not a slice column in this configuration")
    day2 = drift[drift["window_start"] == pd.Timestamp(START + timedelta(days=2))]
    assert not ((day2["slice_name"] == "region") & (day2["slice_value"] == "us")).any()
    assert ((day2["slice_name"] == "region") & (day2["slice_value"] == "eu")).any()


def test_the_new_category_and_the_shift_are_reported(built):
    _, drift, _, _ = built
    last = drift[(drift["window_start"] == pd.Timestamp(START + timedelta(days=3))) & (drift["slice_name"] == "all")
                 & drift["model_version"].isin(["all", "v1"])]
    browser = last[last["feature"] == "browser"].iloc[0]
    assert browser["new_categories"] == "netsurf" and browser["new_category_share"] > 0.1
    assert browser["severity"] == "act"
    assert last[last["feature"] == "amount"].iloc[0]["severity"] in ("investigate", "act")
    assert last[last["feature"] == "predicted_class"].iloc[0]["severity"] in ("investigate", "act")
