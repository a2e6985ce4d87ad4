"""classifier_monitor.drift against scipy/numpy on raw samples: p-values, PSI,
Jensen-Shannon, chi-square, category pooling, severity, and the vectorised
forms the dbt model uses."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from classifier_monitor import drift


@pytest.mark.parametrize("n1,n2,shift,ties", [
    (5, 7, 0.0, False), (40, 40, 0.5, False), (300, 1200, 0.2, True), (10_000, 3_000, 0.05, True),
    (9_000, 10_000, 0.0, False), (10_001, 50, 0.3, False), (20_000, 30_000, 0.02, True), (1, 1, 0.0, False),
])
def test_ks_pvalue_is_scipys_for_the_same_sizes(n1, n2, shift, ties):
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    expected = stats.ks_2samp(a, b)
    assert drift.ks_pvalue(expected.statistic, n1, n2) == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300)


def test_ks_pvalue_recomputes_from_an_exact_statistic():
    # the warehouse computes D from counts; scipy's exact path rounds D * lcm(n1, n2)
    a = np.array([0, 0, 1, 2, 2, 2, 5.0])
    b = np.array([0, 1, 1, 3, 3])
    statistic = max(abs(np.searchsorted(np.sort(a), x, "right") / 7 - np.searchsorted(np.sort(b), x, "right") / 5)
                    for x in np.concatenate([a, b]))
    assert drift.ks_pvalue(statistic, 7, 5) == stats.ks_2samp(a, b).pvalue


def test_vectorised_ks_pvalues_equal_the_scalar_ones():
    # every branch of scipy's kstwo.sf for large samples (Pelz-Good, Smirnov's
    # tail, the vanishing tail, its approximation above 10^6 values) and the
    # scalar fallbacks (exact small samples, the other branches)
    rng = np.random.default_rng(5)
    n1 = np.concatenate([rng.integers(10_001, 3_000_000, 120), rng.integers(1, 12_000, 30),
                         [2_500_000, 4_000_000, 50_000, 20_000, 15_000]])
    n2 = np.concatenate([rng.integers(10_001, 800_000, 120), rng.integers(1, 12_000, 30),
                         [3_000_000, 9_000_000, 40_000, 20_000, 300]])
    effective = n1 * n2 / (n1 + n2)
    statistics = np.abs(rng.normal(0, 2.0, len(n1))) / np.sqrt(effective)
    statistics[::5] *= 4
    statistics[::11] = rng.uniform(0, 1, len(statistics[::11]))
    statistics[[0, 1, 2]] = [np.nan, 1.0, 0.0]
    vectorised = drift.ks_pvalues(statistics, n1, n2)
    for d, a, b, got in zip(statistics, n1, n2, vectorised):
        expected = drift.ks_pvalue(d, int(a), int(b))
        if np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(expected, rel=1e-11, abs=1e-300), (d, a, b)


def test_ks_pvalue_undefined_without_samples():
    assert math.isnan(drift.ks_pvalue(0.3, 0, 10))
    assert math.isnan(drift.ks_pvalue(float("nan"), 10, 10))


def _psi_reference(r, c, eps):
    r, c = np.asarray(r, float) / np.sum(r), np.asarray(c, float) / np.sum(c)
    r, c = np.where(r == 0, eps, r), np.where(c == 0, eps, c)
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))


counts = st.lists(st.integers(0, 60), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_scalar_statistics_match_scipy(data):
    k = data.draw(st.integers(1, 8))
    r = np.array(data.draw(st.lists(st.integers(0, 60), min_size=k, max_size=k)))
    c = np.array(data.draw(st.lists(st.integers(0, 60), min_size=k, max_size=k)))
    if r.sum() == 0 or c.sum() == 0:
        assert math.isnan(drift.psi(r, c)) and math.isnan(drift.js_distance(r, c))
        assert all(math.isnan(v) for v in drift.chi2_homogeneity(r, c))
        return
    assert drift.psi(r, c, 1e-4) == pytest.approx(_psi_reference(r, c, 1e-4), rel=1e-12, abs=1e-15)
    assert drift.js_distance(r, c) == pytest.approx(jensenshannon(r, c, base=2), rel=1e-9, abs=1e-12)
    keep = (r + c) > 0
    statistic, pvalue = drift.chi2_homogeneity(r, c)
    if keep.sum() < 2:
        assert (statistic, pvalue) == (0.0, 1.0)
    else:
        expected = stats.chi2_contingency(np.vstack([r[keep], c[keep]]), correction=False)
        assert statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
        assert pvalue == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_pool_categories_keeps_frequent_reference_categories_only():
    reference = {"card": 500, "paypal": 300, "gift": 5, drift.MISSING: 2, "crypto": 0}
    current = {"card": 400, "paypal": 250, "gift": 30, "crypto": 20, "barter": 7, drift.MISSING: 1}
    pooled_ref, pooled_cur, new = drift.pool_categories(reference, current, min_share=0.01, max_categories=20)
    # gift is 0.6% of the reference: pooled; missing keeps its own bucket however rare
    assert pooled_ref == {"card": 500, "paypal": 300, drift.OTHER: 5, drift.MISSING: 2}
    assert pooled_cur == {"card": 400, "paypal": 250, drift.OTHER: 57, drift.MISSING: 1}
    assert new == ["barter", "crypto"]
    _, pooled_cur, _ = drift.pool_categories(reference, current, min_share=0.0, max_categories=1)
    assert set(pooled_cur) == {"card", drift.OTHER, drift.MISSING}


def test_pool_categories_without_reference_pools_everything():
    pooled_ref, pooled_cur, new = drift.pool_categories({}, {"a": 3, "b": 1})
    assert pooled_ref == {} and pooled_cur == {drift.OTHER: 4} and new == ["a", "b"]


@pytest.mark.parametrize("kwargs,expected", [
    (dict(n_reference=0, n_current=500, psi_value=None, pvalues=()), "none"),
    (dict(n_reference=150, n_current=500, psi_value=0.9, pvalues=(1e-9,)), "none"),
    (dict(n_reference=500, n_current=500, psi_value=0.9, pvalues=(0.2,)), "none"),
    (dict(n_reference=500, n_current=500, psi_value=0.3, pvalues=(1e-5,)), "act"),
    (dict(n_reference=500, n_current=500, psi_value=0.12, pvalues=(1e-5,)), "investigate"),
    (dict(n_reference=500, n_current=500, psi_value=0.01, ks_statistic=0.11, pvalues=(0.5, 1e-5)), "investigate"),
    (dict(n_reference=500, n_current=500, psi_value=0.01, js=0.06, pvalues=(1e-5,)), "info"),
    (dict(n_reference=500, n_current=500, psi_value=0.01, ks_statistic=0.01, pvalues=(1e-5,)), "none"),
])
def test_severity_combines_significance_and_effect_size(kwargs, expected):
    level, reason = drift.severity(drift.DriftSettings(), **kwargs)
    assert level == expected and reason


def test_settings_parse_rendered_config():
    settings = drift.DriftSettings.from_config({"psi_act": "0.3", "min_samples": "50", "js_info": None})
    assert settings.psi_act == 0.3 and settings.min_samples == 50 and settings.js_info == 0.05


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.tuples(counts, counts), min_size=1, max_size=5), eps=st.sampled_from([1e-4, 1e-3]))
def test_vectorised_statistics_equal_the_scalar_ones(groups, eps):
    rows = []
    for g, (r, c) in enumerate(groups):
        for i in range(max(len(r), len(c))):
            rows.append({"g": g, "n_reference": r[i] if i < len(r) else 0, "n_current": c[i] if i < len(c) else 0})
    frame = pd.DataFrame(rows)
    out = drift._grouped_share_stats(frame, ["g"], eps).set_index("g")
    for g, group in frame.groupby("g"):
        r, c = group["n_reference"].to_numpy(), group["n_current"].to_numpy()
        expected_psi = drift.psi(r, c, eps)
        if math.isnan(expected_psi):
            assert math.isnan(out.loc[g, "psi"])
            continue
        assert out.loc[g, "psi"] == pytest.approx(expected_psi, rel=1e-9, abs=1e-12)
        assert out.loc[g, "js_distance"] == pytest.approx(drift.js_distance(r, c), rel=1e-9, abs=1e-12)
        statistic, pvalue = drift.chi2_homogeneity(r, c)
        assert out.loc[g, "chi2_statistic"] == pytest.approx(statistic, rel=1e-9, abs=1e-12)
        assert out.loc[g, "chi2_pvalue"] == pytest.approx(pvalue, rel=1e-9, abs=1e-300)


def test_empty_output_is_typed():
    table = drift.to_arrow([drift.numeric_drift(pd.DataFrame(), drift.DriftSettings())])
    assert table.num_rows == 0 and table.schema == drift.OUTPUT_SCHEMA


@settings(max_examples=40, deadline=None)
@given(groups=st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", "d", drift.MISSING]),
                                       st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=1),
                       min_size=1, max_size=4),
       min_share=st.sampled_from([0.0, 0.05, 0.3]), max_categories=st.integers(1, 4))
def test_vectorised_categorical_drift_equals_the_scalar_rules(groups, min_share, max_categories):
    rows = []
    for g, categories in enumerate(groups):
        for category, (n_ref, n_cur) in categories.items():
            rows.append({"window_start": pd.Timestamp("2026-01-01"), "window_end": pd.Timestamp("2026-01-02"),
                         "model_name": "m", "model_version": "all", "slice_name": "all", "slice_value": str(g),
                         "feature": "f", "feature_type": "categorical", "reference_start": pd.Timestamp("2025-12-25"),
                         "reference_end": pd.Timestamp("2026-01-01"), "category": category,
                         "n_reference": n_ref, "n_current": n_cur, "_window_batch": 1})
    settings_ = drift.DriftSettings(category_min_share=min_share, max_categories=max_categories)
    out = drift.categorical_drift(pd.DataFrame(rows), settings_).set_index("slice_value")
    for g, categories in enumerate(groups):
        reference = {c: r for c, (r, _) in categories.items()}
        current = {c: k for c, (_, k) in categories.items()}
        pooled_r, pooled_c, new = drift.pool_categories(reference, current, min_share, max_categories)
        row = out.loc[str(g)]
        buckets = sorted(set(pooled_r) | set(pooled_c))
        r = [pooled_r.get(k, 0) for k in buckets]
        c = [pooled_c.get(k, 0) for k in buckets]
        for column, expected in (("psi", drift.psi(r, c, settings_.psi_epsilon)), ("js_distance", drift.js_distance(r, c)),
                                 ("chi2_pvalue", drift.chi2_homogeneity(r, c)[1])):
            if math.isnan(expected):
                assert pd.isna(row[column])
            else:
                assert row[column] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert (row["new_categories"] if isinstance(row["new_categories"], str) else None) == (", ".join(new) or None)
        assert row["n_reference"] == sum(reference.values()) and row["n_current"] == sum(current.values())
        assert row["n_current_missing"] == current.get(drift.MISSING, 0)
        if sum(reference.values()):
            assert row["n_categories"] == len(buckets)
        else:
            assert pd.isna(row["n_categories"])
