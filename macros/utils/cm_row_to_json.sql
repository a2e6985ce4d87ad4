{#-
  The original raw row as JSON text, kept on quarantined rows so nothing about a
  malformed value is lost when it cannot be cast to its contract type.
-#}
{% macro cm_row_to_json(relation_alias, columns) %}
    {{ return(adapter.dispatch('cm_row_to_json', 'classifier_monitor')(relation_alias, columns)) }}
{% endmacro %}

{#- Portable fallback: a JSON object built by string concatenation of the contract columns. -#}
{% macro default__cm_row_to_json(relation_alias, columns) -%}
    {%- set parts = ["'{'"] -%}
    {%- for column in columns -%}
        {%- do parts.append("'" ~ ('' if loop.first else ',') ~ '"' ~ column ~ '":' ~ "'") -%}
        {%- do parts.append("coalesce('\"' || replace(cast(" ~ relation_alias ~ "." ~ column ~ " as " ~ dbt.type_string() ~ "), '\"', '\\\\\"') || '\"', 'null')") -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{% macro duckdb__cm_row_to_json(relation_alias, columns) -%}
    cast(to_json({{ relation_alias }}) as varchar)
{%- endmacro %}
