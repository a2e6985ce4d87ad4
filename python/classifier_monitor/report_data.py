"""The figures of the static report, read from the marts.

Every query aggregates in the warehouse (sums of additive counts per day or per
period) and hands Python one small frame; ratios are taken after summing,
never by averaging hourly ratios. A missing or empty table gives an empty
frame, which the page shows as "no data".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from classifier_monitor.intervals import wilson_interval

ALL = "all"     # the overall slice, and "every version summed" for --version
SEVERITY_RANK = {"act": 3, "investigate": 2, "info": 1, "none": 0}
ALERT_RANK = {"page": 2, "ticket": 1, "ok": 0}
DRIFT_ROWS_SHOWN = 25
# Above this many days the budget chart gets one point per day instead of per hour.
HOURLY_BUDGET_MAX_DAYS = 31


@dataclass(frozen=True)
class Selection:
    """What the report is about; start/end are None when the marts hold no data."""
    model_name: str | None
    model_version: str
    slice_name: str
    slice_value: str
    start: datetime | None
    end: datetime | None

    @property
    def days(self) -> list[datetime]:
        """Every UTC day that overlaps [start, end), so gaps show as gaps."""
        if self.start is None or self.end is None or self.end <= self.start:
            return []
        first = pd.Timestamp(self.start).floor("D")
        last = (pd.Timestamp(self.end) - pd.Timedelta(microseconds=1)).floor("D")
        return list(pd.date_range(first, last, freq="D").to_pydatetime())


def table_exists(con, schema: str, table: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def _columns(con, schema: str, table: str) -> list[str]:
    return [row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()]


# The hourly key filter shared by the hourly marts: version 'all' sums every version.
_HOURLY_FILTER = """
    model_name = $model and ($version = 'all' or model_version = $version)
    and slice_name = $slice_name and slice_value = $slice_value
    and hour >= $start::timestamp and hour < $end::timestamp
"""


def _run(con, sql: str, params: dict):
    """Execute with the named parameters the SQL uses (DuckDB rejects unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return con.execute(sql, {name: value for name, value in params.items() if name in used})


def _params(selection: Selection) -> dict:
    return {"model": selection.model_name, "version": selection.model_version, "slice_name": selection.slice_name,
            "slice_value": selection.slice_value, "start": selection.start, "end": selection.end}


def resolve_selection(con, start: datetime | None = None, end: datetime | None = None, slice_name: str = ALL,
                      slice_value: str = ALL, model: str | None = None, version: str | None = None) -> Selection:
    """Fill in the defaults: the model with the most predictions; the period from
    the first day of its data to its last hour; the version that served most
    predictions in the last 24 hours of the period (the one serving now)."""
    if not table_exists(con, "marts", "fct_model_metrics_hourly"):
        return Selection(model, version or ALL, slice_name, slice_value, start, end)
    if model is None:
        row = _run(con, """
            select model_name from marts.fct_model_metrics_hourly
            where slice_name = 'all'
              and hour >= coalesce($start::timestamp, hour) and hour < coalesce($end::timestamp, hour + interval 1 hour)
            group by model_name order by sum(n_predictions) desc, model_name limit 1
        """, {"start": start, "end": end}).fetchone()
        model = row[0] if row else None
    first, last = _run(con, """
        select date_trunc('day', min(hour)), max(hour) + interval 1 hour
        from marts.fct_model_metrics_hourly where slice_name = 'all' and model_name = $model
    """, {"model": model}).fetchone()
    start = start if start is not None else first
    end = end if end is not None else last
    if version is None:
        row = _run(con, """
            select model_version from marts.fct_model_metrics_hourly
            where slice_name = 'all' and model_name = $model and hour >= $start::timestamp and hour < $end::timestamp
            group by model_version
            order by sum(n_predictions) filter (where hour >= $end::timestamp - interval 24 hour) desc nulls last,
                     sum(n_predictions) desc, model_version desc
            limit 1
        """, {"model": model, "start": start, "end": end}).fetchone()
        version = row[0] if row else ALL
    return Selection(model, version, slice_name, slice_value, start, end)


def period_totals(con, selection: Selection) -> dict:
    """Predictions, labeled predictions and correct ones of the selection and period."""
    empty = {"n_predictions": 0, "n_labeled": 0, "n_correct": 0}
    if not table_exists(con, "marts", "fct_model_metrics_hourly"):
        return empty
    row = _run(con, f"""
        select coalesce(sum(n_predictions), 0)::bigint, coalesce(sum(n_labeled), 0)::bigint,
               coalesce(sum(n_correct), 0)::bigint
        from marts.fct_model_metrics_hourly where {_HOURLY_FILTER}
    """, _params(selection)).fetchone()
    return dict(zip(empty, row))


def confusion_counts(con, selection: Selection) -> pd.DataFrame:
    """Long form (actual_class, predicted_class, n) summed over the period; n > 0."""
    if not table_exists(con, "marts", "fct_confusion_matrix_hourly"):
        return pd.DataFrame(columns=["actual_class", "predicted_class", "n"])
    return _run(con, f"""
        select actual_class, predicted_class, sum(n)::bigint as n
        from marts.fct_confusion_matrix_hourly where {_HOURLY_FILTER}
        group by all order by all
    """, _params(selection)).df()


def confusion_matrix(counts: pd.DataFrame) -> pd.DataFrame:
    """Square matrix, true classes as rows and predicted classes as columns, over
    the sorted union of both (scikit-learn's order), zeros filled in."""
    classes = sorted(set(counts["actual_class"]) | set(counts["predicted_class"]))
    matrix = counts.pivot_table(index="actual_class", columns="predicted_class", values="n", aggfunc="sum",
                                fill_value=0)
    return matrix.reindex(index=classes, columns=classes, fill_value=0).astype("int64")


def daily_class_metrics(con, selection: Selection) -> pd.DataFrame:
    """Per day and class: tp, predicted, support, precision, recall and their
    Wilson intervals, from the day's summed counts."""
    columns = ["day", "class", "tp", "predicted", "support"]
    if not table_exists(con, "marts", "fct_class_metrics_hourly"):
        frame = pd.DataFrame(columns=columns)
    else:
        frame = _run(con, f"""
            select date_trunc('day', hour) as day, class,
                   sum(tp)::bigint as tp, sum(predicted)::bigint as predicted, sum(support)::bigint as support
            from marts.fct_class_metrics_hourly where {_HOURLY_FILTER}
            group by all order by class, day
        """, _params(selection)).df()
    tp, predicted, support = (frame[name].to_numpy(dtype="float64") for name in ("tp", "predicted", "support"))
    with np.errstate(divide="ignore", invalid="ignore"):    # 0/0 is NaN (undefined), as in the marts
        frame["precision"] = np.where(predicted > 0, tp / predicted, np.nan)
        frame["recall"] = np.where(support > 0, tp / support, np.nan)
    frame["precision_lower"], frame["precision_upper"] = wilson_interval(tp, predicted)
    frame["recall_lower"], frame["recall_upper"] = wilson_interval(tp, support)
    return frame


def daily_label_coverage(con, selection: Selection) -> pd.DataFrame:
    """Per day: predictions, labeled predictions, their ratio, and whether the
    day's labels have matured (null when the SLI marts are not built)."""
    if not table_exists(con, "marts", "fct_model_metrics_hourly"):
        return pd.DataFrame(columns=["day", "n_predictions", "n_labeled", "label_coverage", "labels_matured"])
    maturity = "null::boolean"
    join = ""
    if table_exists(con, "marts", "fct_slis_daily"):
        # maturity depends on the day only, so every version of the day agrees
        join = """left join (
            select day, bool_and(labels_matured) as labels_matured from marts.fct_slis_daily
            where model_name = $model and ($version = 'all' or model_version = $version)
              and slice_name = $slice_name and slice_value = $slice_value
            group by day
        ) as maturity using (day)"""
        maturity = "maturity.labels_matured"
    return _run(con, f"""
        with days as (
            select date_trunc('day', hour) as day,
                   sum(n_predictions)::bigint as n_predictions, sum(n_labeled)::bigint as n_labeled
            from marts.fct_model_metrics_hourly where {_HOURLY_FILTER}
            group by all
        )
        select day, n_predictions, n_labeled, n_labeled / nullif(n_predictions, 0) as label_coverage,
               {maturity} as labels_matured
        from days {join}
        order by day
    """, _params(selection)).df()


@dataclass
class DriftWindow:
    window_start: datetime | None
    window_end: datetime | None
    rows: pd.DataFrame            # the most severe rows of the window, most severe first
    severity_counts: dict          # severity -> rows of the window, every severity listed
    total_rows: int


def latest_drift(con, selection: Selection, limit: int = DRIFT_ROWS_SHOWN) -> DriftWindow:
    """The newest drift window that starts inside the period, every slice of the
    model: pooled rows (version 'all') and rows of the selected version."""
    counts = dict.fromkeys(SEVERITY_RANK, 0)
    if not table_exists(con, "marts", "fct_feature_drift"):
        return DriftWindow(None, None, pd.DataFrame(), counts, 0)
    params = {"model": selection.model_name, "version": selection.model_version,
              "start": selection.start, "end": selection.end}
    scope = """model_name = $model and ($version = 'all' or model_version in ($version, 'all'))"""
    window = _run(con, f"""
        select max(window_start) from marts.fct_feature_drift
        where {scope} and window_start >= $start::timestamp and window_start < $end::timestamp
    """, params).fetchone()[0]
    if window is None:
        return DriftWindow(None, None, pd.DataFrame(), counts, 0)
    params["window"] = window
    ranks = " ".join(f"when '{name}' then {rank}" for name, rank in SEVERITY_RANK.items())
    rows = _run(con, f"""
        select window_start, window_end, model_version, slice_name, slice_value, feature, feature_type,
               severity, severity_reason, psi, ks_statistic, js_distance, n_reference, n_current, new_categories
        from marts.fct_feature_drift
        where {scope} and window_start = $window
        order by case severity {ranks} else -1 end desc, psi desc nulls last,
                 feature, slice_name, slice_value, model_version
        limit {int(limit)}
    """, params).df()
    for severity, n in _run(con, f"""
        select severity, count(*) from marts.fct_feature_drift where {scope} and window_start = $window group by all
    """, params).fetchall():
        counts[severity] = n
    window_end = rows["window_end"].iloc[0] if len(rows) else None
    return DriftWindow(window, window_end, rows, counts, sum(counts.values()))


def burn_rate_columns(con) -> list[str]:
    """burn_rate_<w>h columns of fct_slo_status, shortest window first."""
    names = [name for name in _columns(con, "marts", "fct_slo_status")
             if name.startswith("burn_rate_") and name.endswith("h") and name[len("burn_rate_"):-1].isdigit()]
    return sorted(names, key=lambda name: int(name[len("burn_rate_"):-1]))


def slo_status(con, selection: Selection) -> pd.DataFrame:
    """Per SLO and slice of the model: the row of its latest evaluation hour in
    the period, with the hours it spent paging or in ticket state in the period.
    Alerting rows first, then by budget left."""
    if not table_exists(con, "marts", "fct_slo_status"):
        return pd.DataFrame()
    burn = "".join(f", {name}" for name in burn_rate_columns(con))
    ranks = " ".join(f"when '{name}' then {rank}" for name, rank in ALERT_RANK.items())
    return _run(con, f"""
        with period as (
            select * from marts.fct_slo_status
            where model_name = $model and hour >= $start::timestamp and hour < $end::timestamp
        ),
        alerts as (
            select slo_name, slice_name, slice_value,
                   count(*) filter (where alert_state = 'page') as page_hours,
                   count(*) filter (where alert_state = 'ticket') as ticket_hours
            from period group by all
        ),
        latest as (
            select * from period
            qualify row_number() over (partition by slo_name, slice_name, slice_value order by hour desc) = 1
        )
        select slo_name, sli, slice_name, slice_value, hour, objective, window_days, sli_value,
               good_events, total_events, error_budget_total, error_budget_consumed, error_budget_left,
               error_budget_left_ratio{burn}, alert_state, alert_rule, alerts.page_hours, alerts.ticket_hours
        from latest join alerts using (slo_name, slice_name, slice_value)
        order by case alert_state {ranks} else -1 end desc, error_budget_left_ratio nulls last,
                 slo_name, slice_name, slice_value
    """, {"model": selection.model_name, "start": selection.start, "end": selection.end}).df()


def slo_budget_history(con, selection: Selection) -> pd.DataFrame:
    """Error budget left (ratio) over the period per SLO, for the selected slice
    where the SLO covers it, else its overall slice; hourly, or the last hour
    of each day for long periods."""
    if not table_exists(con, "marts", "fct_slo_status") or selection.start is None or selection.end is None:
        return pd.DataFrame(columns=["slo_name", "slice_name", "slice_value", "point_time", "error_budget_left_ratio"])
    hourly = selection.end - selection.start <= timedelta(days=HOURLY_BUDGET_MAX_DAYS)
    bucket = "hour" if hourly else "date_trunc('day', hour)"
    return _run(con, f"""
        with candidates as (
            select slo_name, slice_name, slice_value, hour, error_budget_left_ratio,
                   (slice_name = $slice_name and slice_value = $slice_value) as chosen
            from marts.fct_slo_status
            where model_name = $model and hour >= $start::timestamp and hour < $end::timestamp
              and ((slice_name = $slice_name and slice_value = $slice_value) or slice_name = 'all')
        ),
        preferred as (
            select * from candidates qualify chosen = max(chosen) over (partition by slo_name)
        )
        select slo_name, slice_name, slice_value, {bucket} as point_time,
               arg_max(error_budget_left_ratio, hour) as error_budget_left_ratio
        from preferred group by all order by slo_name, point_time
    """, _params(selection)).df()
