{#-
  Category counts of the categorical features per drift window: one row per
  window x model x version x slice x feature x category, missing values counted
  as the category '(missing)'. Counts are additive, so references are sums of
  window rows. Incremental runs rebuild only the windows whose own inferences
  changed.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_windows',
        drift_kinds=['features'],
        drift_own_inputs_only=true,
        on_schema_change='fail'
    )
}}

{%- set slices = cm_config('slice_columns') -%}
{%- set features = cm_drift_categorical_features() -%}
{%- set keys = ['window_start', 'model_name', 'model_version', 'feature', 'feature_type', 'category'] -%}

with

{% if is_incremental() %}
recompute as (
    {{ cm_drift_recompute_windows(this, ['features'], own_inputs_only=true) }}
),
{% endif %}

{% if features %}
-- one pass at the finest grain per feature, then the slice groups are rolled
-- up; each feature reads the rows itself (a scan is cheaper than a
-- materialised copy of every row shared by the features)
finest as (
    {% for feature in features -%}
    select
        window_start, model_name, model_version,
        {% for column in slices -%}
        {{ column }},
        {% endfor -%}
        '{{ feature.name }}' as feature,
        '{{ feature.type }}' as feature_type,
        category,
        count(*) as n
    from (
        select
            {{ cm_drift_window_start('hour') }} as window_start,
            model_name,
            {{ cm_drift_model_version('model_version', 'categorical') }} as model_version,
            {% for column in slices -%}
            {{ column }},
            {% endfor -%}
            coalesce({{ feature.name }}, '{{ cm_config("missing_slice_value") }}') as category
        from {{ ref('stg_inference_events') }}
        {{ cm_drift_recomputed_rows_filter() }}
    ) as events
    group by window_start, model_name, model_version, {% for column in slices %}{{ column }}, {% endfor %}category
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
{% else %}
finest as (
    select
        {{ cm_drift_window_start('hour') }} as window_start,
        model_name,
        {{ cm_drift_model_version('model_version', 'categorical') }} as model_version,
        {% for column in slices -%}
        {{ column }},
        {% endfor -%}
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as {{ dbt.type_string() }}) as feature_type,
        cast(null as {{ dbt.type_string() }}) as category,
        count(*) as n
    from {{ ref('stg_inference_events') }}
    where 1 = 0
    group by window_start, model_name, model_version{% for column in slices %}, {{ column }}{% endfor %}
),
{% endif %}

counts as (
    {{ cm_group_by_slices('finest', keys, ['sum(n) as n']) }}
)

select
    window_start,
    model_name,
    model_version,
    slice_name,
    slice_value,
    feature,
    feature_type,
    category,
    cast(n as {{ dbt.type_bigint() }}) as n,
    {{ cm_drift_log_batch() }} as _window_batch
from counts
