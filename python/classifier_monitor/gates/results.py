"""Gate results as rows: the schema of the gate logs and of marts.fct_quality_gate_results.

The public columns are what fct_quality_gate_results holds (macro
cm_quality_gate_result_columns lists the same names); columns starting with
'_' are watermarks kept only in the per-checkpoint logs.
"""
from __future__ import annotations

import json
from datetime import datetime

from classifier_monitor.gates.suite import Suite
from classifier_monitor.gates.validate import Outcome

PUBLIC_COLUMNS: dict[str, str] = {
    "run_id": "varchar",
    "suite": "varchar",
    "suite_version": "integer",
    "expectation": "varchar",
    "expectation_type": "varchar",
    "column_name": "varchar",
    "severity": "varchar",
    "success": "boolean",
    "observed_value": "varchar",
    "element_count": "bigint",
    "unexpected_count": "bigint",
    "unexpected_rate": "double",
    "allowed_unexpected_rate": "double",
    "table_name": "varchar",
    "batch_rows": "bigint",
    "batch_start": "timestamp",
    "batch_end": "timestamp",
    "sample_rows": "varchar",
    "message": "varchar",
    "validated_at": "timestamp",
}

WATERMARK_COLUMNS: dict[str, str] = {
    "_staged_after": "timestamp",        # batch suites: the window (after, through] of _staged_at
    "_staged_through": "timestamp",
    "_counts_batch_through": "bigint",   # reconciliation: newest rollup batch validated
    "_table_rows": "bigint",             # rows of the validated tables: unchanged = nothing new arrived
}

RESULT_COLUMNS: dict[str, str] = {**PUBLIC_COLUMNS, **WATERMARK_COLUMNS}


def result_rows(suite: Suite, outcomes: list[Outcome], *, run_id: str, validated_at: datetime,
                watermarks: dict | None = None) -> list[dict]:
    rows = []
    for outcome in outcomes:
        e = outcome.expectation
        rows.append({
            "run_id": run_id,
            "suite": suite.name,
            "suite_version": suite.version,
            "expectation": e.name,
            "expectation_type": e.type,
            "column_name": e.column_name,
            "severity": e.severity,
            "success": outcome.success,
            "observed_value": outcome.observed_value,
            "element_count": outcome.element_count,
            "unexpected_count": outcome.unexpected_count,
            "unexpected_rate": outcome.unexpected_rate,
            "allowed_unexpected_rate": outcome.allowed_unexpected_rate,
            "table_name": outcome.target.table_name,
            "batch_rows": outcome.target.rows,
            "batch_start": outcome.target.start,
            "batch_end": outcome.target.end,
            "sample_rows": json.dumps(outcome.sample_rows, default=str, sort_keys=True),
            "message": outcome.message(),
            "validated_at": validated_at,
            **{column: (watermarks or {}).get(column) for column in WATERMARK_COLUMNS},
        })
    return rows


def to_relation(connection, rows: list[dict], view_name: str = "cm_gate_result_rows"):
    """A typed DuckDB relation of result rows (typed even when empty: an empty pandas
    frame would otherwise create INTEGER columns that break the next incremental run)."""
    import pandas as pd

    frame = pd.DataFrame([{column: row.get(column) for column in RESULT_COLUMNS} for row in rows],
                         columns=list(RESULT_COLUMNS), dtype=object)
    connection.register(view_name, frame)
    casts = ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in RESULT_COLUMNS.items())
    return connection.sql(f"select {casts} from {view_name}")
