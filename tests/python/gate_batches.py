"""Tiny crafted batches for the quality gate tests: tables shaped like the
staging and mart relations the gates read, built from dict rows."""
from __future__ import annotations

from datetime import datetime, timedelta

from classifier_monitor.contract import create_raw_tables

T0 = datetime(2026, 3, 1, 10)
STAGED_AT = datetime(2026, 3, 2, 0, 0, 0)

# the columns of staging.stg_inference_rows / stg_label_rows the gates read
INFERENCE_ROWS = {
    "_event_key": "varchar", "_key_hash": "hugeint", "status": "varchar", "reason": "varchar", "event_id": "varchar",
    "event_time": "timestamp", "ingested_at": "timestamp", "model_name": "varchar", "model_version": "varchar",
    "predicted_class": "varchar", "predicted_score": "double", "class_scores": "varchar", "_staged_at": "timestamp",
}
LABEL_ROWS = {
    "_event_key": "varchar", "_key_hash": "hugeint", "status": "varchar", "reason": "varchar", "event_id": "varchar", "label": "varchar",
    "labeled_at": "timestamp", "ingested_at": "timestamp", "label_source": "varchar", "_content_hash": "ubigint",
    "_staged_at": "timestamp",
}
CONFUSION = {
    "hour": "timestamp", "model_name": "varchar", "model_version": "varchar", "slice_name": "varchar",
    "slice_value": "varchar", "actual_class": "varchar", "predicted_class": "varchar", "n": "bigint",
    "_batch_id": "bigint",
}
METRICS = {
    "hour": "timestamp", "model_name": "varchar", "model_version": "varchar", "slice_name": "varchar",
    "slice_value": "varchar", "n_labeled": "bigint", "_batch_id": "bigint",
}
INGESTION = {
    "input_table": "varchar", "raw_rows": "bigint", "staged_rows": "bigint", "duplicate_rows": "bigint",
    "quarantined_rows": "bigint", "unaccounted_rows": "bigint",
}


def make_table(con, name: str, columns: dict[str, str], rows: list[dict]) -> str:
    ddl = ", ".join(f'"{column}" {kind}' for column, kind in columns.items())
    con.execute(f"create or replace table {name} ({ddl})")
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"columns {unknown} are not in {name}"
        con.execute(f"insert into {name} values ({', '.join('?' for _ in columns)})",
                    [row.get(column) for column in columns])
    if "_key_hash" in columns:
        # as staging derives it (cm_key_hash)
        con.execute(f"update {name} set _key_hash = cast(md5_number(_event_key) >> 1 as hugeint)")
    return name


def inference_row(i: int, **overrides) -> dict:
    event_time = T0 + timedelta(seconds=i)
    row = {
        "_event_key": f"e{i:04d}", "status": "accepted", "reason": None, "event_id": f"e{i:04d}",
        "event_time": event_time, "ingested_at": event_time + timedelta(minutes=1), "model_name": "m",
        "model_version": "v1", "predicted_class": "books", "predicted_score": 0.8,
        "class_scores": '{"books": 0.8, "toys": 0.2}', "_staged_at": STAGED_AT,
    }
    row.update(overrides)
    return row


def label_row(i: int, **overrides) -> dict:
    labeled_at = T0 + timedelta(hours=1, seconds=i)
    row = {
        "_event_key": f"e{i:04d}", "status": "applied", "reason": None, "event_id": f"e{i:04d}", "label": "books",
        "labeled_at": labeled_at, "ingested_at": labeled_at + timedelta(minutes=1), "label_source": "review",
        "_content_hash": i, "_staged_at": STAGED_AT,
    }
    row.update(overrides)
    return row


def hourly_key(slice_name="all", slice_value="all", hour=T0.replace(minute=0, second=0)) -> dict:
    return {"hour": hour, "model_name": "m", "model_version": "v1", "slice_name": slice_name,
            "slice_value": slice_value}


def raw_tables(con, drop_inference_column=None, extra_label_column=None, extra_inference_column=None,
               drop_label_column=None):
    """The raw contract tables, optionally with one column missing or one unknown column."""
    create_raw_tables(con)
    for table, column in (("inference_events", drop_inference_column), ("label_events", drop_label_column)):
        if column:
            con.execute(f"alter table raw.{table} drop column {column}")
    for table, column in (("inference_events", extra_inference_column), ("label_events", extra_label_column)):
        if column:
            con.execute(f"alter table raw.{table} add column {column} varchar")
