{#-
  Additive sums over accepted inferences per hourly key: volume, errors,
  latency and score counts, unknown classes, null counts of every configured
  feature, and the newest ingested_at. They never change once an inference is
  accepted, so an incremental run recounts only the hours of staged inference
  rows (re)written since its watermark (replace_where with
  cm_inference_hours_predicate); late labels never touch this table.
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

{%- set features = cm_config('numeric_features') + cm_config('categorical_features') -%}
{%- set known = cm_known_class_literals() -%}
{%- set big = dbt.type_bigint() -%}

with

inferences as (
    select * from {{ ref('stg_inference_events') }}
    {% if is_incremental() -%}
    where {{ cm_inference_hours_predicate(this) }}
    {%- endif %}
),

sums as (
    {{ cm_group_by_slices('inferences', ['hour', 'model_name', 'model_version'], [
        'count(*) as n_predictions',
        'sum(case when is_error then 1 else 0 end) as n_errors',
        'count(latency_ms) as n_latency',
        'count(predicted_score) as n_scored',
        'sum(cast(round(predicted_score * 1000000) as ' ~ big ~ ')) as score_sum_micro',
        ('sum(case when predicted_class in (' ~ known | join(', ') ~ ') then 0 else 1 end)' if known
         else 'cast(null as ' ~ big ~ ')') ~ ' as n_unknown_class',
        'max(ingested_at) as newest_ingested_at'
    ] + cm_null_count_measures(features)) }}
),

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        cast(n_predictions as {{ big }}) as n_predictions,
        cast(n_errors as {{ big }}) as n_errors,
        cast(n_latency as {{ big }}) as n_latency,
        cast(n_scored as {{ big }}) as n_scored,
        cast(coalesce(score_sum_micro, 0) as {{ big }}) as score_sum_micro,
        cast(n_unknown_class as {{ big }}) as n_unknown_class,
        {% for feature in features -%}
        cast({{ feature }}_null_count as {{ big }}) as {{ feature }}_null_count,
        {% endfor -%}
        newest_ingested_at,
        {{ cm_sli_bookkeeping_columns() }}
    from sums
)

select * from final
