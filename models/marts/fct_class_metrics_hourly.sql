{{
    config(
        materialized='incremental',
        incremental_strategy='replace_hours',
        changed_hours_from='int_prediction_counts_hourly',
        on_schema_change='fail'
    )
}}

with

counts as (
    {{ cm_hourly_counts(ref('int_prediction_counts_hourly')) }}
),

class_metrics as (
    {{ cm_class_metrics('counts') }}
),

final as (
    select
        class_metrics.*,
        {{ cm_consumed_batch(ref('int_prediction_counts_hourly')) }} as _batch_id
    from class_metrics
)

select * from final
