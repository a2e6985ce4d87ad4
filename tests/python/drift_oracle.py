"""An independent computation of fct_feature_drift rows from the raw samples,
with numpy/scipy only (no code shared with the dbt project or with
classifier_monitor.drift): KS via scipy.stats.ks_2samp, Wasserstein via
scipy.stats.wasserstein_distance, PSI on sorted reference quantiles,
Jensen-Shannon via scipy.spatial.distance.jensenshannon and chi-square via
scipy.stats.chi2_contingency."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

MISSING = "(missing)"
OTHER = "(other)"


def group_mask(events: pd.DataFrame, row) -> np.ndarray:
    mask = events["model_name"].to_numpy() == row["model_name"]
    if row["model_version"] != "all":
        mask &= events["model_version"].to_numpy() == row["model_version"]
    if row["slice_name"] != "all":
        mask &= events[row["slice_name"]].fillna(MISSING).to_numpy() == row["slice_value"]
    return mask


def window_mask(events: pd.DataFrame, start, end) -> np.ndarray:
    hours = events["event_time"].dt.floor("h")
    return ((hours >= start) & (hours < end)).to_numpy()


def psi(reference_counts, current_counts, epsilon=1e-4):
    r = np.asarray(reference_counts, float)
    c = np.asarray(current_counts, float)
    r, c = r / r.sum(), c / c.sum()
    r, c = np.maximum(r, epsilon), np.maximum(c, epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def chi2_pvalue(reference_counts, current_counts):
    table = np.vstack([reference_counts, current_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def numeric_expected(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> dict:
    """reference/current: float arrays with NaN for missing values."""
    r, c = reference[~np.isnan(reference)], current[~np.isnan(current)]
    out = {"n_reference": len(reference), "n_current": len(current),
           "n_reference_missing": int(np.isnan(reference).sum()), "n_current_missing": int(np.isnan(current).sum())}
    if len(r) and len(c):
        ks = stats.ks_2samp(r, c)
        w = stats.wasserstein_distance(r, c)
        out.update(ks_statistic=ks.statistic, ks_pvalue=ks.pvalue, wasserstein=w,
                   wasserstein_normalized=w / np.std(r) if np.std(r) > 0 else np.nan)
    if len(r):
        out["reference_std"] = float(np.std(r))
    if len(reference):
        # edge j: the ceil(j * n / bins)-th smallest reference value; bins (e_j-1, e_j], open ends
        ordered = np.sort(r)
        edges = np.unique([ordered[-(-j * len(r) // bins) - 1] for j in range(1, bins)]) if len(r) else np.array([])

        def histogram(sample):
            values = sample[~np.isnan(sample)]
            counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
            return np.append(counts, np.isnan(sample).sum())

        hr, hc = histogram(reference), histogram(current)
        if hc.sum():
            out["psi"] = psi(hr, hc)
            out["chi2_pvalue"] = chi2_pvalue(hr, hc)
    return out


def categorical_expected(reference: pd.Series, current: pd.Series, min_share=0.01, max_categories=20) -> dict:
    """reference/current: category labels with None for missing values."""
    r = reference.fillna(MISSING).value_counts()
    c = current.fillna(MISSING).value_counts()
    out = {"n_reference": int(r.sum()), "n_current": int(c.sum()),
           "n_reference_missing": int(r.get(MISSING, 0)), "n_current_missing": int(c.get(MISSING, 0))}
    new = sorted(set(c.index) - set(r.index) - {MISSING})
    out["new_categories"] = ", ".join(new) if new else None
    if not len(r):
        return out
    shares = r.drop(MISSING, errors="ignore") / r.sum()
    ranked = sorted((k for k in shares.index if shares[k] >= min_share), key=lambda k: (-r[k], k))
    keep = set(ranked[:max_categories]) | {MISSING}
    pooled_r = r.groupby(lambda k: k if k in keep else OTHER).sum()
    pooled_c = c.groupby(lambda k: k if k in keep else OTHER).sum()
    categories = sorted(set(pooled_r.index) | set(pooled_c.index))
    hr = np.array([pooled_r.get(k, 0) for k in categories])
    hc = np.array([pooled_c.get(k, 0) for k in categories])
    out["psi"] = psi(hr, hc)
    out["js_distance"] = float(jensenshannon(hr, hc, base=2))
    out["chi2_pvalue"] = chi2_pvalue(hr, hc)
    out["n_categories"] = len(categories)
    return out


def expected_row(events: pd.DataFrame, labels: pd.DataFrame, row, bins: int = 10) -> dict:
    """The expected statistics of one fct_feature_drift row. events: accepted
    inferences (event_time, model, version, slices, features, predictions);
    labels: event_id -> label."""
    group = group_mask(events, row)
    current = events[group & window_mask(events, row["window_start"], row["window_end"])]
    reference = events[group & window_mask(events, row["reference_start"], row["reference_end"])]
    if row["feature_type"] in ("numeric",) or row["feature"] == "predicted_score":
        return numeric_expected(reference[row["feature"]].to_numpy(dtype=float),
                                current[row["feature"]].to_numpy(dtype=float), bins)
    if row["feature_type"] == "label":
        reference = reference.merge(labels, on="event_id")
        current = current.merge(labels, on="event_id")
        return categorical_expected(reference["label"], current["label"])
    return categorical_expected(reference[row["feature"]], current[row["feature"]])
