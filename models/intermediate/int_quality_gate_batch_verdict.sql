{#-
  The verdict of the batch gates for this run: a view of the results they
  recorded in this invocation. int_event_state_log depends on it, so a failed
  critical expectation (raised while this model runs) stops `dbt build` before
  anything reaches the state log and the rollups.
-#}
{{ config(materialized='view') }}

{{ cm_quality_gate_verdict([
    ref('int_quality_gate_inference_batch'),
    ref('int_quality_gate_label_batch'),
]) }}
