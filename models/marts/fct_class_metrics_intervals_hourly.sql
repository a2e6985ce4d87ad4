{#-
  fct_class_metrics_hourly with 95% Wilson score intervals for precision
  (tp out of predicted) and recall (tp out of support), and low-support flags
  (fewer than var min_class_support samples behind the ratio), so an alert on
  a class's precision or recall can require enough evidence. A view: it adds
  row-wise columns to the incremental mart and is always in step with it.
-#}
{{ config(materialized='view') }}

{%- set min_support = cm_config('min_class_support') | int -%}

with

class_metrics as (
    select * from {{ ref('fct_class_metrics_hourly') }}
),

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        class,
        tp,
        predicted,
        support,
        precision,
        {{ cm_wilson_bound('tp', 'predicted', -1) }} as precision_lower,
        {{ cm_wilson_bound('tp', 'predicted', 1) }} as precision_upper,
        predicted < {{ min_support }} as precision_low_support,
        recall,
        {{ cm_wilson_bound('tp', 'support', -1) }} as recall_lower,
        {{ cm_wilson_bound('tp', 'support', 1) }} as recall_upper,
        support < {{ min_support }} as recall_low_support
    from class_metrics
)

select * from final
