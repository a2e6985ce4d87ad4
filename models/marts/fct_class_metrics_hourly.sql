{%- set group_keys = cm_mart_group_keys() -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        changed_keys_from='int_prediction_counts_hourly',
        changed_key_columns=group_keys,
        on_schema_change='fail'
    )
}}

with

counts as (
    {{ cm_changed_counts(ref('int_prediction_counts_hourly'), group_keys) }}
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
