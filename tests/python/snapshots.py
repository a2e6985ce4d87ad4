"""Read whole output tables in a canonical order, to compare warehouse states."""
from __future__ import annotations

import pandas as pd

# Tables whose full contents must match between incremental and full-refresh builds.
# Columns starting with '_' are bookkeeping (watermarks, run markers) and excluded.
COMPARED_TABLES = [
    "staging.stg_inference_rows",
    "staging.stg_label_rows",
    "marts.fct_confusion_matrix_hourly",
    "marts.fct_class_metrics_hourly",
    "marts.fct_model_metrics_hourly",
    "marts.fct_ingestion_reconciliation",
    *[f"marts.{name}" for name in ("fct_slis_hourly", "fct_slis_daily", "fct_latency_histogram_hourly",
                                   "fct_calibration_hourly", "fct_label_delay_histogram_hourly",
                                   "fct_predicted_class_hourly", "fct_class_metrics_intervals_hourly",
                                   "fct_slo_status")],
    "marts.fct_feature_drift",
]


def read_table(con, table: str) -> pd.DataFrame:
    columns = [row[0] for row in con.execute(f"describe {table}").fetchall() if not row[0].startswith("_")]
    quoted = ", ".join(f'"{column}"' for column in columns)
    frame = con.execute(f"select {quoted} from {table} order by all").df()
    return frame.reset_index(drop=True)


def snapshot(con, tables=COMPARED_TABLES) -> dict[str, pd.DataFrame]:
    return {table: read_table(con, table) for table in tables}


def assert_same_state(left: dict, right: dict) -> None:
    for table in left:
        pd.testing.assert_frame_equal(left[table], right[table], check_exact=False, rtol=1e-12, atol=0,
                                      obj=table)
