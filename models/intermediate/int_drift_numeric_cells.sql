{#-
  Histograms of the numeric features (and predicted_score) per drift window:
  one row per window x model x version x slice x feature x value bucket
  (macros/drift/cm_drift_buckets.sql), plus one row with bucket null counting
  the missing values. Each bucket keeps its count, the sum and sum of squares of
  the values' offsets from the bucket base (exact moments without cancellation)
  and the smallest and largest value.

  Histograms are additive, so a reference of any length is a sum of window rows
  and the heavy pass over the inferences happens once per window. Incremental
  runs rebuild only the windows whose own inferences changed.
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
{%- set features = cm_drift_numeric_features() -%}

with

{% if is_incremental() %}
recompute as (
    {{ cm_drift_recompute_windows(this, ['features'], own_inputs_only=true) }}
),
{% endif %}

-- one aggregation per feature, grouping sets for the slices: every row is
-- hashed once per slice group into a small table of buckets (an aggregation
-- at the finest slice grain first would not shrink continuous features).
-- Each feature reads the rows itself: a scan is cheaper than a materialised
-- copy of every row shared by the features.
cells as (
    {% for feature in features -%}
    {%- set source -%}
    (
        select
            {{ cm_drift_window_start('hour') }} as window_start,
            model_name,
            {{ cm_drift_model_version('model_version', feature.type) }} as model_version,
            {% for column in slices -%}
            {{ column }},
            {% endfor -%}
            {{ cm_drift_finite(feature.name) }} as value
        from {{ ref('stg_inference_events') }}
        {% if is_incremental() -%}
        -- the range predicate lets the scan skip old row groups
        where hour >= (select min(window_start) from recompute)
            and {{ cm_drift_window_start('hour') }} in (select window_start from recompute)
        {%- endif %}
    )
    {%- endset -%}
    select grouped.*, '{{ feature.name }}' as feature, '{{ feature.type }}' as feature_type
    from (
        {{ cm_group_by_slices(
            cm_drift_bucketed(source, feature.name) ~ ' as bucketed',
            ['window_start', 'model_name', 'model_version', 'bucket'],
            ['count(*) as n',
             'sum(value_offset) as offset_sum',
             'sum(value_offset * value_offset) as offset_square_sum',
             'min(value) as value_min',
             'max(value) as value_max']) }}
    ) as grouped
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    window_start,
    model_name,
    model_version,
    slice_name,
    slice_value,
    feature,
    feature_type,
    {{ cm_drift_group_key('model_name', 'model_version', 'slice_name', 'slice_value', 'feature') }} as group_key,
    bucket,
    cast(n as {{ dbt.type_bigint() }}) as n,
    offset_sum,
    offset_square_sum,
    value_min,
    value_max,
    {{ cm_drift_log_batch() }} as _window_batch
from cells
