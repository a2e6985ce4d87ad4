{#-
  Every validation result of the quality gates, for BI tools: one row per
  expectation per gate run (docs/quality-gates.md). Append-only history, so
  `dbt build --full-refresh` keeps it (full_refresh=false).

  It depends on the batch gate logs only, never on their verdict, so a run
  whose batch fails still records why. The reconciliation gate runs after the
  marts and appends its own rows (post-hook cm_quality_gate_publish).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='append_new_columns'
    )
}}

with

unpublished_results as (
    {{ cm_quality_gate_unpublished(
        [ref('int_quality_gate_inference_batch'), ref('int_quality_gate_label_batch')],
        this if is_incremental() else none
    ) }}
)

select * from unpublished_results
