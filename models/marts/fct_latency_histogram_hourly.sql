{#-
  The serving-latency histogram per hourly key: how many accepted inferences
  fell into each fixed log-spaced latency bucket (cm_log_bucket). Buckets never
  depend on the data, so any set of rows (hours into days, slices, versions)
  merges by summing n per bucket; percentiles of the merged histogram are as
  accurate as those of one hour. Recounted per hour of newly staged inferences.
-#}
-- depends_on: {{ ref('int_event_state_log') }}
-- depends_on: {{ ref('stg_inference_rows') }}
-- depends_on: {{ ref('stg_label_rows') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_where',
        replace_predicate='cm_inference_hours_predicate',
        on_schema_change='fail'
    )
}}

{%- set floor = cm_config('latency_histogram_floor_ms') -%}
{%- set growth = cm_config('latency_histogram_growth') -%}

with

latencies as (
    select
        hour,
        model_name,
        model_version,
        {% for column in cm_config('slice_columns') -%}
        {{ column }},
        {% endfor -%}
        {{ cm_log_bucket('latency_ms', floor, growth) }} as bucket
    from {{ ref('stg_inference_events') }}
    where latency_ms is not null
    {%- if is_incremental() %}
        and {{ cm_inference_hours_predicate(this) }}
    {%- endif %}
),

histogram as (
    {{ cm_group_by_slices('latencies', ['hour', 'model_name', 'model_version', 'bucket'], ['count(*) as n']) }}
),

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        bucket,
        {{ cm_log_bucket_lower('bucket', floor, growth) }} as lower_bound_ms,
        {{ cm_log_bucket_upper('bucket', floor, growth) }} as upper_bound_ms,
        cast(n as {{ dbt.type_bigint() }}) as n,
        {{ cm_sli_bookkeeping_columns() }}
    from histogram
)

select * from final
