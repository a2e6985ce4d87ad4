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

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        actual_class,
        predicted_class,
        n,
        {{ cm_consumed_batch(ref('int_prediction_counts_hourly')) }} as _batch_id
    from counts
    where actual_class is not null and n > 0
)

select * from final
