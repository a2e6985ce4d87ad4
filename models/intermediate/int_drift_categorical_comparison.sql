{#-
  Category counts of the current window beside those of its reference: one row
  per window x model x version x slice x feature x category, for
    categorical features  (int_drift_category_counts; missing = '(missing)')
    predicted_class       (feature_type 'prediction': every prediction)
    label                 (feature_type 'label': the true class of labeled predictions)
  for every distribution with current rows. Categories seen only in the
  reference appear with n_current = 0, new ones with n_reference = 0.
  fct_feature_drift pools rare categories and computes PSI, Jensen-Shannon and
  chi-square from these counts.

  Prediction and label counts come from int_prediction_counts_hourly, already
  sliced; label rows follow label changes (kind 'labels'), the rest follows
  inference changes.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_windows',
        drift_kinds=['features', 'labels'],
        on_schema_change='fail'
    )
}}

{%- set group_keys = cm_drift_group_keys() -%}
{%- set model_keys = ['model_name', 'model_version', 'slice_name', 'slice_value', 'feature'] -%}

with

{% if is_incremental() %}
recompute_kinds as (
    {{ cm_drift_recompute_windows(this) }}
),
{% else %}
recompute_kinds as (
    select distinct window_start, kind from {{ ref('int_drift_window_log') }}
),
{% endif %}

recompute as (
    select distinct window_start from recompute_kinds
),

feature_counts as (
    select window_start, model_name, model_version, slice_name, slice_value, feature, feature_type, category, n
    from {{ ref('int_drift_category_counts') }}
    where window_start >= {{ cm_drift_needed_from('recompute') }}
        and {{ cm_drift_is_needed_window('window_start', 'recompute') }}
),

hourly_counts as (
    select
        {{ cm_drift_window_start('hour') }} as window_start,
        model_name,
        model_version,
        slice_name,
        slice_value,
        predicted_class,
        actual_class,
        n
    from {{ ref('int_prediction_counts_hourly') }}
    where hour >= {{ cm_drift_needed_from('recompute') }}
),

needed_hourly_counts as (
    select * from hourly_counts
    where {{ cm_drift_is_needed_window('window_start', 'recompute') }}
),

prediction_counts as (
    select
        window_start, model_name,
        {{ cm_drift_model_version('model_version', 'prediction') }} as model_version,
        slice_name, slice_value,
        'predicted_class' as feature,
        'prediction' as feature_type,
        predicted_class as category,
        sum(n) as n
    from needed_hourly_counts
    group by window_start, model_name, {{ cm_drift_model_version('model_version', 'prediction') }},
        slice_name, slice_value, predicted_class
),

label_counts as (
    select
        window_start, model_name,
        {{ cm_drift_model_version('model_version', 'label') }} as model_version,
        slice_name, slice_value,
        'label' as feature,
        'label' as feature_type,
        actual_class as category,
        sum(n) as n
    from needed_hourly_counts
    where actual_class is not null
    group by window_start, model_name, {{ cm_drift_model_version('model_version', 'label') }},
        slice_name, slice_value, actual_class
),

window_counts as (
    select * from feature_counts where n > 0
    union all
    select * from prediction_counts where n > 0
    union all
    select * from label_counts where n > 0
),

-- current counts of the windows (and kinds) to recompute
current_counts as (
    select window_counts.*
    from window_counts
    inner join recompute_kinds
        on recompute_kinds.window_start = window_counts.window_start
        and recompute_kinds.kind = {{ cm_drift_kind('window_counts.feature_type') }}
),

compared as (
    select distinct {{ group_keys | join(', ') }}, feature_type from current_counts
),

reference_counts as (
    select
        {% for key in group_keys -%}
        compared.{{ key }},
        {% endfor -%}
        window_counts.category,
        sum(window_counts.n) as n
    from compared
    inner join window_counts
        on {{ cm_drift_join_on('window_counts', 'compared', model_keys) }}
        and {{ cm_drift_in_reference('window_counts.window_start', 'compared.window_start') }}
    group by {% for key in group_keys %}compared.{{ key }}, {% endfor %}window_counts.category
),

categories as (
    select
        {% for key in group_keys -%}
        coalesce(current_counts.{{ key }}, reference_counts.{{ key }}) as {{ key }},
        {% endfor -%}
        coalesce(current_counts.category, reference_counts.category) as category,
        coalesce(current_counts.n, 0) as n_current,
        coalesce(reference_counts.n, 0) as n_reference
    from current_counts
    full outer join reference_counts
        on {{ cm_drift_join_on('current_counts', 'reference_counts', group_keys + ['category']) }}
)

select
    {% for key in group_keys -%}
    categories.{{ key }},
    {% endfor -%}
    compared.feature_type,
    {{ cm_drift_window_end('categories.window_start') }} as window_end,
    {{ cm_drift_reference_start('categories.window_start') }} as reference_start,
    {{ cm_drift_reference_end('categories.window_start') }} as reference_end,
    categories.category,
    cast(categories.n_reference as {{ dbt.type_bigint() }}) as n_reference,
    cast(categories.n_current as {{ dbt.type_bigint() }}) as n_current,
    {{ cm_drift_log_batch() }} as _window_batch
from categories
inner join compared on {{ cm_drift_join_on('compared', 'categories', group_keys) }}
