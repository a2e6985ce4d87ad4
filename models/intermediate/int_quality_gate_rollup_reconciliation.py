"""Quality gate, checkpoint 3: rollup reconciliation (suite rollup_reconciliation).

Runs after the marts, so it cannot protect them: it reports. An append-only
log like the batch gates; its post-hook (cm_quality_gate_publish) appends this
run's rows to marts.fct_quality_gate_results, and
int_quality_gate_rollup_verdict fails the run on a critical failure.
Logic: classifier_monitor.gates.runner.
"""


def model(dbt, session):
    # full_refresh=False: the log is history, `dbt build --full-refresh` keeps it
    dbt.config(materialized="incremental", incremental_strategy="append", full_refresh=False,
               on_schema_change="append_new_columns")
    from classifier_monitor.gates.runner import Settings, run_rollup_reconciliation_gate

    # the post-hook appends to the results table: it must exist and hold this run's batch results first
    dbt.ref("fct_quality_gate_results")
    return run_rollup_reconciliation_gate(
        session,
        confusion=dbt.ref("fct_confusion_matrix_hourly"),
        metrics=dbt.ref("fct_model_metrics_hourly"),
        ingestion=dbt.ref("fct_ingestion_reconciliation"),
        log=repr(dbt.this) if dbt.is_incremental else None,
        settings=Settings.from_config(dbt.config.get("quality_gate")),
    )
