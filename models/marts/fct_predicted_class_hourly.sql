{#-
  The predicted-class distribution per hourly key: how many predictions named
  each class, labeled or not, and their share of the hour's predictions. From
  the additive prediction counts, recomputed per changed (hour, model,
  version, slice) group like the other count marts.
-#}
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

by_class as (
    select {{ group_keys | join(', ') }}, predicted_class, sum(n) as n_predictions
    from counts
    group by {{ group_keys | join(', ') }}, predicted_class
    having sum(n) > 0
),

final as (
    select
        {{ group_keys | join(', ') }},
        predicted_class,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        {{ cm_safe_divide('n_predictions', 'sum(n_predictions) over (partition by ' ~ group_keys | join(', ') ~ ')') }} as share,
        {{ cm_consumed_batch(ref('int_prediction_counts_hourly')) }} as _batch_id
    from by_class
)

select * from final
