{#- True when the text parses as a JSON object. Used to quarantine malformed class_scores. -#}
{% macro cm_is_json_object(expression) %}
    {{ return(adapter.dispatch('cm_is_json_object', 'classifier_monitor')(expression)) }}
{% endmacro %}

{#- Portable fallback: a shape check only. Adapters with a JSON parser override it. -#}
{% macro default__cm_is_json_object(expression) -%}
    ({{ expression }} like {{ "'{%}'" }})
{%- endmacro %}

{#- One parse: valid JSON text that starts with '{' is an object. -#}
{% macro duckdb__cm_is_json_object(expression) -%}
    (ltrim({{ expression }}) like {{ "'{%'" }} and coalesce(json_valid({{ expression }}), false))
{%- endmacro %}
