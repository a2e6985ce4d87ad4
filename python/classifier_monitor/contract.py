"""The input contract: raw table columns and types (see the README's input contract)."""
from __future__ import annotations

SLICE_COLUMNS = ["region", "device", "channel"]
NUMERIC_FEATURES = ["amount", "account_age_days", "session_seconds", "basket_size", "discount_pct"]
CATEGORICAL_FEATURES = ["browser", "payment_method", "referrer"]

INFERENCE_COLUMNS: dict[str, str] = {
    "event_id": "varchar",
    "event_time": "timestamp",
    "ingested_at": "timestamp",
    "model_name": "varchar",
    "model_version": "varchar",
    "predicted_class": "varchar",
    "predicted_score": "double",
    "class_scores": "varchar",
    "latency_ms": "double",
    "is_error": "boolean",
    **{column: "varchar" for column in SLICE_COLUMNS},
    **{column: "double" for column in NUMERIC_FEATURES},
    **{column: "varchar" for column in CATEGORICAL_FEATURES},
}

LABEL_COLUMNS: dict[str, str] = {
    "event_id": "varchar",
    "label": "varchar",
    "labeled_at": "timestamp",
    "ingested_at": "timestamp",
    "label_source": "varchar",
}


def create_raw_tables(con, schema: str = "raw") -> None:
    """Create empty raw tables with the contract's columns, if they do not exist."""
    con.execute(f"create schema if not exists {schema}")
    for table, columns in (("inference_events", INFERENCE_COLUMNS), ("label_events", LABEL_COLUMNS)):
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"create table if not exists {schema}.{table} ({ddl})")


def append_rows(con, table: str, rows: list[dict], schema: str = "raw") -> None:
    """Append dict rows (missing keys are null) to a raw table, through pandas."""
    import pandas as pd

    columns = INFERENCE_COLUMNS if table == "inference_events" else LABEL_COLUMNS
    if not rows:
        return
    frame = pd.DataFrame([{name: row.get(name) for name in columns} for row in rows], columns=list(columns))
    con.register("_cm_rows", frame)
    try:
        casts = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in columns.items())
        con.execute(f"insert into {schema}.{table} select {casts} from _cm_rows")
    finally:
        con.unregister("_cm_rows")
