"""Quality gate, checkpoint 1: the new raw inference batch (suite inference_batch).

An append-only log: one row per expectation each time the gate validates a
batch (the inference rows staged since its last passed validation). It never
fails on bad data itself; int_quality_gate_batch_verdict reads this run's rows
and stops the run before the rollups. Logic: classifier_monitor.gates.runner.
"""


def model(dbt, session):
    # full_refresh=False: the log is history, `dbt build --full-refresh` keeps it
    dbt.config(materialized="incremental", incremental_strategy="append", full_refresh=False,
               on_schema_change="append_new_columns")
    from classifier_monitor.gates.runner import Settings, run_inference_batch_gate

    return run_inference_batch_gate(
        session,
        staged=dbt.ref("stg_inference_rows"),
        source=dbt.source("raw", "inference_events"),
        log=repr(dbt.this) if dbt.is_incremental else None,
        settings=Settings.from_config(dbt.config.get("quality_gate")),
    )
