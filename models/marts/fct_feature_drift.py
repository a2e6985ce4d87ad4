"""Drift of every feature, prediction and label: one row per drift window x
model x version x slice x feature, compared with its reference window.

The warehouse has already reduced the rows to aggregates (exact KS and
Wasserstein terms, PSI bins, category counts); this model only reads the
aggregates of the windows to recompute and calls classifier_monitor.drift for
p-values, PSI, Jensen-Shannon, chi-square and severity (docs/drift.md).
Incremental runs recompute the windows logged in int_drift_window_log since
the batch this table last applied; the `replace_windows` strategy swaps them in.
"""
from classifier_monitor import drift


def _quoted_timestamps(values):
    return ", ".join(f"timestamp '{value}'" for value in values) or "null"


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_windows",
        drift_kinds=["features", "labels"],
        on_schema_change="fail",
    )
    settings = drift.DriftSettings.from_config(dbt.config.get("drift"))
    log = dbt.ref("int_drift_window_log")
    numeric = dbt.ref("int_drift_numeric_bins")
    categorical = dbt.ref("int_drift_categorical_comparison")
    batch = log.aggregate("coalesce(max(batch_id), 0)").fetchone()[0]

    if dbt.is_incremental:
        applied = session.sql(f"select coalesce(max(_window_batch), 0) from {dbt.this}").fetchone()[0]
        if batch >= applied:
            # windows logged since the last applied batch, per kind
            logged = log.filter(f"batch_id > {applied}").aggregate("kind, window_start", "kind, window_start").fetchall()
            features = _quoted_timestamps(sorted({w for kind, w in logged if kind == "features"}))
            labels = _quoted_timestamps(sorted({w for kind, w in logged if kind == "labels"}))
            numeric = numeric.filter(f"window_start in ({features})")
            categorical = categorical.filter(
                f"(feature_type = 'label' and window_start in ({labels}))"
                f" or (feature_type <> 'label' and window_start in ({features}))")
        # else: the log restarted below this table; recompute everything

    rows = [
        drift.numeric_drift(numeric.df(), settings),
        drift.categorical_drift(categorical.df(), settings),
    ]
    table = drift.to_arrow(rows)
    # every row carries the log batch it reflects: the incremental watermark
    return table.set_column(table.schema.get_field_index("_window_batch"), "_window_batch",
                            drift.constant_column(batch, len(table)))
