{%- set cell_keys = cm_mart_cell_keys() -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        changed_keys_from='int_prediction_counts_hourly',
        changed_key_columns=cell_keys,
        on_schema_change='fail'
    )
}}

with

counts as (
    {{ cm_changed_counts(ref('int_prediction_counts_hourly'), cell_keys) }}
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
