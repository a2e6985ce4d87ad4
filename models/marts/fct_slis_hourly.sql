{#-
  Service-level indicators per hourly key, before and after labels arrive:
  volume, errors, latency percentiles (from the mergeable histogram), scores,
  unknown classes, feature null rates, label coverage, accuracy, calibration
  (ECE, Brier, mean confidence), label delay and label maturity. Every ratio
  sits beside its numerator and denominator; 0/0 is null.

  Recomputed per changed hour from additive hourly inputs (never from events),
  so a late label costs a few aggregate rows here. See docs/slis_and_slos.md.
-#}
-- depends_on: {{ ref('int_event_state_log') }}
-- depends_on: {{ ref('stg_inference_rows') }}
-- depends_on: {{ ref('stg_label_rows') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_where',
        replace_predicate='cm_sli_hours_predicate',
        on_schema_change='fail'
    )
}}

{{ cm_slis_rollup('hour', cm_sli_hours_predicate(this) if is_incremental() else none) }}
