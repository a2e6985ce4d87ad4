{#-
  The distributions the numeric drift models compare (numeric features and
  predicted_score), as a select over a CTE named distinct_values
  (cm_drift_distinct_values): one row per model x version x slice x feature
  those rows can produce, with
    group_key   cm_drift_group_key of the names: the key of the numeric drift models
    model_id    cm_row_hash(model_name, model_version), the version being 'all'
                for pooled features (drift_pool_versions)
    slice_id    cm_row_hash(slice_value); cm_row_hash('all') for the overall group
  int_drift_numeric_cells groups rows by these integer ids and maps them to
  group_key here; int_drift_numeric_samples takes the names from here, so the
  histogram rows carry no strings (writing them cost about 3 s of the 25 s the
  histograms took at 10M rows). A superset (every version x every slice value) is
  fine: both only join to it. Ids are 64-bit hashes of a few distinct values;
  the group keys every numeric drift model joins on are such hashes already.
-#}
{% macro cm_drift_numeric_groups() -%}
    {%- set slices = cm_config('slice_columns') -%}
    {%- set features = cm_drift_numeric_features() -%}
    {%- set str = dbt.type_string() -%}
    {%- set all_value = "cast('all' as " ~ str ~ ")" -%}
    select
        named.*,
        {{ cm_drift_group_key('named.model_name', 'named.model_version', 'named.slice_name', 'named.slice_value', 'named.feature') }} as group_key,
        {{ cm_row_hash(['named.model_name', 'named.model_version']) }} as model_id,
        {{ cm_row_hash(['named.slice_value']) }} as slice_id
    from (
        select distinct
            versions.model_name,
            versions.model_version,
            slice_values.slice_name,
            slice_values.slice_value,
            versions.feature,
            versions.feature_type
        from (
            {% for feature in features -%}
            select distinct
                model_name,
                {{ cm_drift_model_version('model_version', feature.type) }} as model_version,
                '{{ feature.name }}' as feature,
                '{{ feature.type }}' as feature_type
            from distinct_values
            where model_grouped = 0
            {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as versions
        cross join (
            select {{ all_value }} as slice_name, {{ all_value }} as slice_value
            {% for column in slices -%}
            union all
            select '{{ column }}' as slice_name, {{ column }} as slice_value
            from distinct_values
            where {{ column }}_grouped = 0
            {% endfor %}
        ) as slice_values
    ) as named
{%- endmacro %}

{#- The distinct model versions and slice values of the accepted inferences
    `rows_filter` selects, in one scan: the input of cm_drift_numeric_groups
    (to be defined as a CTE named distinct_values). -#}
{% macro cm_drift_distinct_values(rows_filter='') -%}
    {%- set slices = cm_config('slice_columns') -%}
    select
        model_name,
        model_version,
        {% for column in slices -%}
        {{ column }},
        grouping({{ column }}) as {{ column }}_grouped,
        {% endfor -%}
        grouping(model_name) as model_grouped
    from {{ ref('stg_inference_events') }}
    {{ rows_filter }}
    group by grouping sets (
        {% for column in slices -%}
        ({{ column }}),
        {% endfor -%}
        (model_name, model_version)
    )
{%- endmacro %}
