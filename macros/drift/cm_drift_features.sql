{#-
  The features the drift models compare, as dicts {name, type}:
  numeric: the `numeric_features` plus predicted_score (type 'prediction');
  categorical: the `categorical_features` (predicted_class and the label come
  from int_prediction_counts_hourly, see int_drift_categorical_comparison).
-#}
{% macro cm_drift_numeric_features() %}
    {%- set features = [] -%}
    {%- for name in cm_config('numeric_features') -%}
        {%- do features.append({'name': name, 'type': 'numeric'}) -%}
    {%- endfor -%}
    {%- do features.append({'name': 'predicted_score', 'type': 'prediction'}) -%}
    {{ return(features) }}
{% endmacro %}

{% macro cm_drift_categorical_features() %}
    {%- set features = [] -%}
    {%- for name in cm_config('categorical_features') -%}
        {%- do features.append({'name': name, 'type': 'categorical'}) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}

{#- The key of one compared distribution: window, model, version, slice, feature. -#}
{% macro cm_drift_group_keys() %}
    {{ return(['window_start', 'model_name', 'model_version', 'slice_name', 'slice_value', 'feature']) }}
{% endmacro %}

{#- Equality of two relations on a list of columns, for join conditions. -#}
{% macro cm_drift_join_on(left, right, columns) -%}
    {%- for column in columns -%}
    {{ left }}.{{ column }} = {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
