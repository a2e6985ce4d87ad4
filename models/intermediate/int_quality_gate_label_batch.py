"""Quality gate, checkpoint 2: the new label batch (suite label_batch).

An append-only log: one row per expectation each time the gate validates the
label rows of the events touched since its last passed validation. It never
fails on bad data itself; int_quality_gate_batch_verdict reads this run's rows
and stops the run before the rollups. Logic: classifier_monitor.gates.runner.
"""


def model(dbt, session):
    # full_refresh=False: the log is history, `dbt build --full-refresh` keeps it
    dbt.config(materialized="incremental", incremental_strategy="append", full_refresh=False,
               on_schema_change="append_new_columns")
    from classifier_monitor.gates.runner import Settings, run_label_batch_gate

    known_classes = [row[0] for row in dbt.ref("class_catalog").project("class").fetchall()]
    return run_label_batch_gate(
        session,
        labels=dbt.ref("stg_label_rows"),
        inferences=dbt.ref("stg_inference_rows"),
        source=dbt.source("raw", "label_events"),
        known_classes=known_classes,
        log=repr(dbt.this) if dbt.is_incremental else None,
        settings=Settings.from_config(dbt.config.get("quality_gate")),
        # the batch is computed once into a scratch table next to the log
        scratch_schema=f'"{dbt.this.database}"."{dbt.this.schema}"',
    )
