{#-
  fct_slis_hourly rolled up to UTC days the right way: counts summed, latency
  and label-delay percentiles taken from the merged hourly histograms (not
  averaged), ECE from the merged confidence bins. labels_matured is true once
  the whole day has matured. Recomputed per day that holds a changed hour.
-#}
-- depends_on: {{ ref('int_event_state_log') }}
-- depends_on: {{ ref('stg_inference_rows') }}
-- depends_on: {{ ref('stg_label_rows') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_where',
        replace_predicate='cm_sli_days_predicate',
        on_schema_change='fail'
    )
}}

{{ cm_slis_rollup('day',
    cm_in_timestamps(dbt.date_trunc('day', 'hour'), cm_sli_changed_days(this)) if is_incremental() else none) }}
