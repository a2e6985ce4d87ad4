{#-
  How long labels took (labeled_at - event_time of the applied label) per
  hourly key, as a fixed log-spaced histogram in seconds (cm_log_bucket), so
  label-delay percentiles over any period come from summed buckets. A view over
  the delta-maintained label sums.
-#}
{{ config(materialized='view') }}

{%- set floor = cm_config('label_delay_histogram_floor_seconds') -%}
{%- set growth = cm_config('label_delay_histogram_growth') -%}

with

label_sums as (
    select * from {{ ref('int_label_sums_hourly') }}
    where histogram = 'label_delay' and n_labeled > 0
),

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        bucket,
        {{ cm_log_bucket_lower('bucket', floor, growth) }} as lower_bound_seconds,
        {{ cm_log_bucket_upper('bucket', floor, growth) }} as upper_bound_seconds,
        n_labeled as n,
        n_correct
    from label_sums
)

select * from final
