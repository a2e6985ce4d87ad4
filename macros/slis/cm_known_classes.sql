{#-
  The var `known_classes` as a list of SQL string literals (a comma-separated
  string works too). Class names are data, not identifiers, so they are quoted,
  not validated as column names.
-#}
{% macro cm_known_class_literals() %}
    {%- set value = cm_config('known_classes') -%}
    {%- if value is none -%}
        {%- set value = [] -%}
    {%- elif value is string -%}
        {%- set value = value.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for name in value -%}
        {%- do literals.append("'" ~ (name | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(literals) }}
{% endmacro %}

