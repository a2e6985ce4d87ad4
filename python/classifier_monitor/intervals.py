"""The 95% Wilson score interval of a proportion, as the warehouse computes it.

Same formula, z and clamping as the dbt macro cm_wilson_bound (behind
marts.fct_class_metrics_intervals_hourly), so an interval in the report over a
rolled-up period is the one the SQL would give for the same summed counts.
"""
from __future__ import annotations

import numpy as np

# var wilson_z in dbt_project.yml: the 97.5% standard normal quantile (95%, two-sided)
WILSON_Z = 1.959963984540054


def wilson_interval(successes, trials, z: float = WILSON_Z) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of successes out of trials, element-wise; NaN where trials is 0.

        (p + z^2/(2n) -+ z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)

    Sum the counts of a period first, then call this: averaging hourly bounds
    is not an interval of anything.
    """
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        scale = 1 + z * z / n
        # clamping only removes floating-point dust, as in the SQL macro
        lower = np.clip((centre - spread) / scale, 0.0, 1.0)
        upper = np.clip((centre + spread) / scale, 0.0, 1.0)
    empty = ~(n > 0)
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)
