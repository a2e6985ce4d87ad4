{#-
  Cast that yields null instead of failing. dbt.safe_cast renders a plain cast
  on DuckDB, which would abort the build on one malformed raw value; a failed
  cast must instead send the row to quarantine.
-#}
{% macro cm_safe_cast(expression, type) %}
    {{ return(adapter.dispatch('cm_safe_cast', 'classifier_monitor')(expression, type)) }}
{% endmacro %}

{% macro default__cm_safe_cast(expression, type) -%}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}

{% macro duckdb__cm_safe_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}
