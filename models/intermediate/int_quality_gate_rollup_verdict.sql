{#-
  The verdict of the reconciliation gate for this run. The rollups are already
  written when it runs; a failed critical expectation makes `dbt build` exit
  non-zero with the failing keys.
-#}
{{ config(materialized='view') }}

{{ cm_quality_gate_verdict([ref('int_quality_gate_rollup_reconciliation')]) }}
