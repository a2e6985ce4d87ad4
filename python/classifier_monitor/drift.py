"""Drift statistics over aggregates: the Python half of ``fct_feature_drift``.

The warehouse reduces the inference rows to small aggregates (see
docs/drift.md): per window x model x version x slice x feature, the exact KS
statistic and Wasserstein distance, PSI bin counts for numeric features, and
category counts for categorical features, predictions and labels. The
functions here turn those aggregates into p-values, PSI, Jensen-Shannon
distances, chi-square tests and a severity, and never see a raw row.

Every statistic has a scalar form that the unit tests compare with
numpy/scipy on raw samples, and a vectorised form (over long data frames with
one row per bin or category) that the dbt model calls.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats
from scipy.stats import _stats_py

MISSING = "(missing)"
OTHER = "(other)"
SEVERITIES = ("none", "info", "investigate", "act")

# scipy.stats.ks_2samp(method='auto') is exact up to this sample size, and
# asymptotic (Smirnov, via kstwo) above it.
KS_EXACT_MAX_N = 10_000


# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DriftSettings:
    """The drift vars of dbt_project.yml (defaults repeated for direct use)."""

    psi_epsilon: float = 1e-4
    category_min_share: float = 0.01
    max_categories: int = 20
    significance_level: float = 1e-4
    min_samples: int = 200
    psi_info: float = 0.05
    psi_investigate: float = 0.1
    psi_act: float = 0.25
    ks_info: float = 0.05
    ks_investigate: float = 0.1
    js_info: float = 0.05
    js_investigate: float = 0.1

    @classmethod
    def from_config(cls, config: dict | None) -> "DriftSettings":
        """Build from the model config (dbt renders vars in YAML as strings)."""
        config = config or {}
        values = {}
        for field in fields(cls):
            if config.get(field.name) not in (None, "", "None"):
                kind = int if field.type in (int, "int") else float
                values[field.name] = kind(float(config[field.name]))
        return cls(**values)


# ---------------------------------------------------------------------------
# scalar statistics (the definitions; tested against scipy on raw samples)
# ---------------------------------------------------------------------------

def ks_pvalue(statistic: float, n1: int, n2: int) -> float:
    """Two-sided p-value of the two-sample KS statistic for sample sizes n1, n2,
    computed exactly as ``scipy.stats.ks_2samp(method='auto')`` does.

    scipy picks the exact distribution when max(n1, n2) <= 10000 (falling back
    to the asymptotic one if the exact computation overflows) and otherwise
    Smirnov's asymptotic distribution via ``kstwo`` with n = round(n1*n2/(n1+n2)).
    The statistic is all the data it needs.
    """
    if statistic is None or not np.isfinite(statistic) or n1 < 1 or n2 < 1:
        return float("nan")
    n1, n2 = int(n1), int(n2)
    if max(n1, n2) <= KS_EXACT_MAX_N:
        success, _, prob = _stats_py._attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), float(statistic), "two-sided")
        if success:
            return float(np.clip(prob, 0.0, 1.0))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(statistic, np.round(en)), 0.0, 1.0))


def ks_pvalues(statistics, n1s, n2s) -> np.ndarray:
    """``ks_pvalue`` over arrays (nan where the statistic is missing).

    Equal to the scalar form up to floating-point rounding (tested to 1e-11
    relative). Above 10,000 values on a side scipy evaluates the Kolmogorov
    distribution (``kstwo.sf``) one value at a time; its two common branches
    for large samples are evaluated here for all comparisons at once, under
    scipy's own branch conditions: in the tail twice Smirnov's one-sided
    probability (``_smirnov_sf``), elsewhere the Pelz-Good series
    (``_kolmogn_pelz_good_sf``). Everything else (the exact small-sample
    distribution, scipy's other branches) calls the scalar form.
    """
    d = np.asarray(statistics, dtype=float)
    n1 = np.asarray(n1s, dtype=np.int64)
    n2 = np.asarray(n2s, dtype=np.int64)
    out = np.full(d.shape, np.nan)
    defined = np.isfinite(d) & (n1 >= 1) & (n2 >= 1)
    large, small = np.maximum(n1, n2).astype(float), np.minimum(n1, n2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        n = np.round(large * small / (large + small))
        t = n * d
        nxsquared = t * d
        # the branches of scipy.stats._ksstats._kolmogn(n, x, cdf=False) for
        # n > 140 and 1/n < x < 1/2 (t > 1, t < n - 1)
        asymptotic = defined & (np.maximum(n1, n2) > KS_EXACT_MAX_N) & (n > 140) & (d < 0.5) \
            & (t > 1.0) & (t < n - 1)
        vanishing = asymptotic & (nxsquared >= 370.0)
        smirnov = asymptotic & (nxsquared >= 2.2) & (nxsquared < 370.0)
        pelz_good = asymptotic & (nxsquared < 2.2) & ~((n <= 100_000) & (n * d ** 1.5 <= 1.4)) \
            & (-np.pi ** 2 / 8 / nxsquared >= -708)
    out[vanishing] = 0.0
    out[smirnov] = np.clip(2 * _smirnov_sf(n[smirnov], d[smirnov]), 0.0, 1.0)
    out[pelz_good] = np.clip(_kolmogn_pelz_good_sf(n[pelz_good], d[pelz_good]), 0.0, 1.0)
    for i in np.flatnonzero(defined & ~(smirnov | vanishing | pelz_good)):
        out[i] = ks_pvalue(float(d[i]), int(n1[i]), int(n2[i]))
    return out


def _smirnov_sf(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.special.smirnov(n, x)`` = P(D+_n >= x) for 1/n < x < 1/2 (that ufunc
    itself took 13.4 s for the 259 comparisons of this branch in the 10M
    benchmark; this form 1.7 s).

    scipy sums the Birnbaum-Tingey series in double-double arithmetic, one
    term at a time. Its terms are binomial probabilities: with p = x + v/n,
        C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v) = binom.pmf(v; n, p) / p,
    so P = x * sum over v = 0 .. floor(n (1 - x)) of binom.pmf(v; n, p) / p,
    here evaluated for all v at once (agrees with scipy to about 1e-13). Above
    10^6 values scipy approximates, and so does this: exp(-(6 n x + 1)^2 / 18 n).
    """
    out = np.empty(len(n))
    for i, (size, deviation) in enumerate(zip(n, x)):
        size = int(size)
        if size > 1_000_000:
            logp = -(6.0 * size * deviation + 1) ** 2 / 18.0 / size
            out[i] = np.exp(logp) if logp < -np.log(2) else 1.0 - (-np.expm1(logp))
            continue
        v = np.arange(int(np.floor(size * (1 - deviation))) + 1, dtype=float)
        p = deviation + v / size
        out[i] = deviation * np.sum(stats.binom.pmf(v, size, p) / p)
    return out


def _kolmogn_pelz_good_sf(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """1 - Pelz-Good's approximation of Prob(D_n <= x), vectorised: the terms
    and their order are those of ``scipy.stats._ksstats._kolmogn_PelzGood``."""
    z = np.sqrt(n) * x
    zsquared, zthree, zfour, zsix = z ** 2, z ** 3, z ** 4, z ** 6
    pi2, pi4, pi6, sqrt2pi = np.pi ** 2, np.pi ** 4, np.pi ** 6, np.sqrt(2 * np.pi)
    q = np.exp(-pi2 / 8 / zsquared)
    k1a, k1b = -zsquared, pi2 / 4
    k2a = 6 * zsix + 2 * zfour
    k2b = (2 * zfour - 5 * zsquared) * pi2 / 4
    k2c = pi4 * (1 - 2 * zsquared) / 16
    k3d = pi6 * (5 - 30 * zsquared) / 64
    k3c = pi4 * (-60 * zsquared + 212 * zfour) / 16
    k3b = pi2 * (135 * zfour - 96 * zsix) / 4
    k3a = -30 * zsix - 90 * z ** 8
    maxk = np.ceil(16 * z / np.pi).astype(np.int64)
    terms = np.zeros((len(z), 4))
    # Horner scheme over the odd integers, each value from its own maxk down
    for k in range(int(maxk.max(initial=0)), 0, -1):
        active = maxk >= k
        m = 2 * k - 1
        coeffs = np.stack([np.ones_like(z), k1a + k1b * m ** 2, k2a + k2b * m ** 2 + k2c * m ** 4,
                           k3a + k3b * m ** 2 + k3c * m ** 4 + k3d * m ** 6], axis=1)
        stepped = terms * np.power(q, 8 * k)[:, None] + coeffs
        terms = np.where(active[:, None], stepped, terms)
    terms *= q[:, None]
    terms *= sqrt2pi
    terms /= np.stack([z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10], axis=1)
    # the other sum, over all integers k <= maxk
    q2 = np.exp(-pi2 / 2 / zsquared)
    k2extra = np.zeros_like(z)
    k3extra = np.zeros_like(z)
    for k in range(int(maxk.max(initial=0)), 0, -1):
        active = maxk >= k
        power = np.where(active, q2 ** (k * k), 0.0)
        k2extra += k * k * power
        k3extra += (np.sqrt(3) * z + np.pi * k) * (np.sqrt(3) * z - np.pi * k) * (k * k) * power
    terms[:, 2] += k2extra * pi2 * sqrt2pi / (-36 * zthree)
    terms[:, 3] += k3extra * pi2 * sqrt2pi / (216 * zsix)
    terms /= np.power(n[:, None] * 1.0, np.arange(4) / 2.0)
    return 1.0 - terms.sum(axis=1)


def psi(reference_counts, current_counts, epsilon: float = 1e-4) -> float:
    """Population stability index sum((c - r) * ln(c / r)) over bins, with
    shares r, c of each side's total and shares of 0 (empty bins) replaced by
    epsilon. Null when a side is empty."""
    r, c = np.asarray(reference_counts, float), np.asarray(current_counts, float)
    if r.sum() <= 0 or c.sum() <= 0:
        return float("nan")
    r = np.maximum(r / r.sum(), epsilon)
    c = np.maximum(c / c.sum(), epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(reference_counts, current_counts) -> float:
    """Jensen-Shannon distance (the square root of the divergence, base 2, so it
    lies in [0, 1]) between the two normalised count vectors; as
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``."""
    p, q = np.asarray(reference_counts, float), np.asarray(current_counts, float)
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        divergence = 0.5 * np.sum(np.where(p > 0, p * np.log2(p / m), 0.0)) \
            + 0.5 * np.sum(np.where(q > 0, q * np.log2(q / m), 0.0))
    return float(np.sqrt(max(divergence, 0.0)))


def chi2_homogeneity(reference_counts, current_counts) -> tuple[float, float]:
    """Pearson chi-square test that both samples come from one categorical
    distribution: the 2 x k contingency table without continuity correction,
    as ``scipy.stats.chi2_contingency(table, correction=False)``. Categories
    empty on both sides are dropped; one category left gives (0, 1)."""
    r, c = np.asarray(reference_counts, float), np.asarray(current_counts, float)
    if r.sum() <= 0 or c.sum() <= 0:
        return float("nan"), float("nan")
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    if len(r) < 2:
        return 0.0, 1.0
    total = r.sum() + c.sum()
    column = r + c
    expected_r, expected_c = column * r.sum() / total, column * c.sum() / total
    statistic = float(np.sum((r - expected_r) ** 2 / expected_r) + np.sum((c - expected_c) ** 2 / expected_c))
    return statistic, float(stats.chi2.sf(statistic, len(r) - 1))


def pool_categories(reference: dict, current: dict, min_share: float = 0.01, max_categories: int = 20):
    """Collapse rare categories, by a rule fixed by the reference alone.

    A category keeps its own bucket when its reference share is at least
    `min_share` and it is among the `max_categories` most frequent reference
    categories (ties: by name); '(missing)' always keeps its own bucket. All
    other categories, including those absent from the reference (new ones),
    are pooled into '(other)'. Returns (reference_counts, current_counts,
    new_categories) with the pooled dicts and the sorted list of new categories.
    """
    total = sum(reference.values())
    frequent = sorted((category for category, n in reference.items()
                       if category != MISSING and total > 0 and n >= min_share * total),
                      key=lambda category: (-reference[category], category))[:max_categories]
    keep = set(frequent) | {MISSING}

    def pooled(counts):
        out: dict[str, int] = {}
        for category, n in counts.items():
            bucket = category if category in keep else OTHER
            out[bucket] = out.get(bucket, 0) + n
        return out

    new = sorted(category for category, n in current.items()
                 if n > 0 and reference.get(category, 0) == 0 and category != MISSING)
    return pooled(reference), pooled(current), new


def severity(settings: DriftSettings, n_reference: int, n_current: int, psi_value=None, ks_statistic=None,
             js=None, pvalues=()) -> tuple[str, str]:
    """(severity, reason): none / info / investigate / act.

    A change counts only if it is significant (some p-value below the
    significance level) on samples of at least min_samples rows each; its
    level is then set by the effect sizes: PSI >= psi_act -> act; PSI >=
    psi_investigate or KS D >= ks_investigate or JS >= js_investigate ->
    investigate; the *_info thresholds -> info; else none.
    """
    s = settings
    if not n_reference:
        return "none", "no reference data"
    if min(n_reference, n_current) < s.min_samples:
        return "none", f"fewer than {s.min_samples} rows on a side"
    tested = [p for p in pvalues if p is not None and np.isfinite(p)]
    if not tested:
        return "none", "no test possible"
    p = min(tested)
    if p >= s.significance_level:
        return "none", f"not significant (p={p:.3g})"

    def at_least(value, threshold):
        return value is not None and np.isfinite(value) and value >= threshold

    if at_least(psi_value, s.psi_act):
        return "act", f"psi {psi_value:.3g} >= {s.psi_act:g}, p={p:.3g}"
    effects = [("psi", psi_value, s.psi_investigate, s.psi_info), ("ks", ks_statistic, s.ks_investigate, s.ks_info),
               ("js", js, s.js_investigate, s.js_info)]
    for level, position in (("investigate", 2), ("info", 3)):
        for effect in effects:
            name, value, threshold = effect[0], effect[1], effect[position]
            if at_least(value, threshold):
                return level, f"{name} {value:.3g} >= {threshold:g}, p={p:.3g}"
    return "none", f"significant (p={p:.3g}) but below every effect threshold"


# ---------------------------------------------------------------------------
# vectorised: long frames of aggregates -> one row per compared distribution
# ---------------------------------------------------------------------------

GROUP_KEYS = ["window_start", "model_name", "model_version", "slice_name", "slice_value", "feature"]
HEADER = GROUP_KEYS + ["feature_type", "window_end", "reference_start", "reference_end"]

OUTPUT_SCHEMA = pa.schema([
    ("window_start", pa.timestamp("us")),
    ("window_end", pa.timestamp("us")),
    ("model_name", pa.string()),
    ("model_version", pa.string()),
    ("slice_name", pa.string()),
    ("slice_value", pa.string()),
    ("feature", pa.string()),
    ("feature_type", pa.string()),
    ("reference_start", pa.timestamp("us")),
    ("reference_end", pa.timestamp("us")),
    ("n_reference", pa.int64()),
    ("n_current", pa.int64()),
    ("n_reference_missing", pa.int64()),
    ("n_current_missing", pa.int64()),
    ("psi", pa.float64()),
    ("ks_statistic", pa.float64()),
    ("ks_pvalue", pa.float64()),
    ("wasserstein", pa.float64()),
    ("wasserstein_normalized", pa.float64()),
    ("reference_mean", pa.float64()),
    ("current_mean", pa.float64()),
    ("reference_std", pa.float64()),
    ("js_distance", pa.float64()),
    ("chi2_statistic", pa.float64()),
    ("chi2_pvalue", pa.float64()),
    ("n_categories", pa.int64()),
    ("new_categories", pa.string()),
    ("new_category_share", pa.float64()),
    ("severity", pa.string()),
    ("severity_reason", pa.string()),
    ("_window_batch", pa.int64()),
])


def _grouped_share_stats(frame: pd.DataFrame, keys: list[str], epsilon: float) -> pd.DataFrame:
    """PSI, JS distance and chi-square per group of a long frame with columns
    keys + [n_reference, n_current] (one row per bin or pooled category)."""
    work = frame[keys + ["n_reference", "n_current"]].copy()
    work["n_reference"] = work["n_reference"].astype(float)
    work["n_current"] = work["n_current"].astype(float)
    grouped = work.groupby(keys, sort=False, dropna=False)
    work["r_total"] = grouped["n_reference"].transform("sum")
    work["c_total"] = grouped["n_current"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = work["n_reference"] / work["r_total"]
        c = work["n_current"] / work["c_total"]
        rs, cs = np.maximum(r, epsilon), np.maximum(c, epsilon)
        work["psi_term"] = (cs - rs) * np.log(cs / rs)
        m = (r + c) / 2
        work["js_term"] = 0.5 * np.where(r > 0, r * np.log2(r / m), 0.0) + 0.5 * np.where(c > 0, c * np.log2(c / m), 0.0)
        column = work["n_reference"] + work["n_current"]
        total = work["r_total"] + work["c_total"]
        er, ec = column * work["r_total"] / total, column * work["c_total"] / total
        work["chi_term"] = np.where(column > 0, (work["n_reference"] - er) ** 2 / er + (work["n_current"] - ec) ** 2 / ec, 0.0)
    work["occupied"] = (work["n_reference"] + work["n_current"]) > 0
    out = work.groupby(keys, sort=False, dropna=False).agg(
        psi=("psi_term", "sum"), js_divergence=("js_term", "sum"), chi2_statistic=("chi_term", "sum"),
        occupied=("occupied", "sum"), r_total=("r_total", "first"), c_total=("c_total", "first")).reset_index()
    ok = (out["r_total"] > 0) & (out["c_total"] > 0)
    dof = out["occupied"] - 1
    out["js_distance"] = np.sqrt(np.maximum(out["js_divergence"], 0.0))
    out["chi2_statistic"] = np.where(dof >= 1, out["chi2_statistic"], 0.0)
    out["chi2_pvalue"] = np.where(dof >= 1, stats.chi2.sf(out["chi2_statistic"], np.maximum(dof, 1)), 1.0)
    for column in ("psi", "js_distance", "chi2_statistic", "chi2_pvalue"):
        out.loc[~ok, column] = np.nan
    return out.drop(columns=["js_divergence", "occupied", "r_total", "c_total"])


def numeric_drift(bins: pd.DataFrame, settings: DriftSettings) -> pd.DataFrame:
    """One row per compared numeric distribution from int_drift_numeric_bins
    rows (one per PSI bin, the feature-level statistics repeated)."""
    if bins.empty:
        return pd.DataFrame(columns=OUTPUT_SCHEMA.names)
    bin_counts = bins[GROUP_KEYS + ["n_reference_bin", "n_current_bin"]].rename(
        columns={"n_reference_bin": "n_reference", "n_current_bin": "n_current"})
    shares = _grouped_share_stats(bin_counts, GROUP_KEYS, settings.psi_epsilon)
    first = bins.drop_duplicates(GROUP_KEYS).drop(
        columns=["bin_index", "bin_upper", "n_reference_bin", "n_current_bin"])
    out = first.merge(shares, on=GROUP_KEYS, how="left")
    n_ref_values = (out["n_reference"] - out["n_reference_missing"]).astype(int)
    n_cur_values = (out["n_current"] - out["n_current_missing"]).astype(int)
    out["ks_pvalue"] = ks_pvalues(out["ks_statistic"].to_numpy(dtype=float), n_ref_values, n_cur_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["wasserstein_normalized"] = np.where(out["reference_std"] > 0, out["wasserstein"] / out["reference_std"], np.nan)
    out["js_distance"] = np.nan
    out["n_categories"] = pd.NA
    out["new_categories"] = None
    out["new_category_share"] = np.nan
    return _with_severity(out, settings)


def categorical_drift(counts: pd.DataFrame, settings: DriftSettings) -> pd.DataFrame:
    """One row per compared categorical distribution (features, predicted_class,
    label) from int_drift_categorical_comparison rows (one per category), with
    the pooling rule of pool_categories applied per group, vectorised."""
    if counts.empty:
        return pd.DataFrame(columns=OUTPUT_SCHEMA.names)
    work = counts.copy()
    work["n_reference"] = work["n_reference"].astype("int64")
    work["n_current"] = work["n_current"].astype("int64")
    grouped = work.groupby(GROUP_KEYS, sort=False)
    work["r_total"] = grouped["n_reference"].transform("sum")
    missing = work["category"] == MISSING
    # rank the categories frequent enough in the reference: by count, then name
    frequent = ~missing & (work["r_total"] > 0) & (work["n_reference"] >= settings.category_min_share * work["r_total"])
    ranked = work[frequent].sort_values(GROUP_KEYS + ["n_reference", "category"],
                                        ascending=[True] * len(GROUP_KEYS) + [False, True], kind="mergesort")
    rank = ranked.groupby(GROUP_KEYS, sort=False).cumcount() + 1
    kept = pd.Series(False, index=work.index)
    kept.loc[rank.index] = rank <= settings.max_categories
    work["bucket"] = np.where(kept | missing, work["category"], OTHER)
    work["is_new"] = ~missing & (work["n_reference"] == 0) & (work["n_current"] > 0)

    pooled = work.groupby(GROUP_KEYS + ["bucket"], sort=False)[["n_reference", "n_current"]].sum().reset_index()
    shares = _grouped_share_stats(pooled, GROUP_KEYS, settings.psi_epsilon)
    new = (work[work["is_new"]].sort_values("category").groupby(GROUP_KEYS, sort=False)
           .agg(new_categories=("category", ", ".join), new_current=("n_current", "sum")).reset_index())
    summary = grouped.agg(
        **{column: (column, "first") for column in HEADER + ["_window_batch"] if column not in GROUP_KEYS},
        n_reference=("n_reference", "sum"), n_current=("n_current", "sum")).reset_index()
    missing_counts = (work[missing].groupby(GROUP_KEYS, sort=False)[["n_reference", "n_current"]].sum()
                      .rename(columns={"n_reference": "n_reference_missing", "n_current": "n_current_missing"})
                      .reset_index())
    n_buckets = pooled.groupby(GROUP_KEYS, sort=False).size().rename("n_categories").reset_index()
    out = (summary.merge(missing_counts, on=GROUP_KEYS, how="left").merge(new, on=GROUP_KEYS, how="left")
           .merge(n_buckets, on=GROUP_KEYS, how="left").merge(shares, on=GROUP_KEYS, how="left"))
    for column in ("n_reference_missing", "n_current_missing"):
        out[column] = out[column].fillna(0).astype("int64")
    out["n_categories"] = out["n_categories"].where(out["n_reference"] > 0)
    out["new_category_share"] = np.where(out["n_current"] > 0, out["new_current"].fillna(0) / out["n_current"], np.nan)
    out = out.drop(columns=["new_current"])
    for column in ("ks_statistic", "ks_pvalue", "wasserstein", "wasserstein_normalized",
                   "reference_mean", "current_mean", "reference_std"):
        out[column] = np.nan
    return _with_severity(out, settings)


def _with_severity(out: pd.DataFrame, settings: DriftSettings) -> pd.DataFrame:
    def present(values):
        return [None if pd.isna(v) else float(v) for v in values]

    levels = [severity(settings, int(n_reference), int(n_current), psi_value, ks, js, (ks_p, chi2_p))
              for n_reference, n_current, psi_value, ks, js, ks_p, chi2_p in zip(
                  out["n_reference"], out["n_current"], present(out["psi"]), present(out["ks_statistic"]),
                  present(out["js_distance"]), present(out["ks_pvalue"]), present(out["chi2_pvalue"]))]
    out["severity"] = [level for level, _ in levels]
    out["severity_reason"] = [reason for _, reason in levels]
    return out


def to_arrow(frames: list[pd.DataFrame]) -> pa.Table:
    """The output rows as a typed Arrow table (typed even when empty), in key order."""
    tables = [_frame_to_arrow(frame) for frame in frames if not frame.empty]
    if not tables:
        return OUTPUT_SCHEMA.empty_table()
    return pa.concat_tables(tables).sort_by([(key, "ascending") for key in GROUP_KEYS])


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    arrays = []
    for field in OUTPUT_SCHEMA:
        column = frame[field.name]
        if pa.types.is_integer(field.type):
            column = pd.array(column, dtype="Int64")
        elif pa.types.is_floating(field.type):
            column = pd.to_numeric(column, errors="coerce").astype(float)
        elif pa.types.is_string(field.type):
            column = column.astype(object).where(column.notna(), None)
        arrays.append(pa.array(column, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=OUTPUT_SCHEMA)


def constant_column(value: int, length: int) -> pa.Array:
    """An int64 column repeating one value (the watermark of a batch)."""
    return pa.array(np.full(length, value, dtype=np.int64), type=pa.int64())
