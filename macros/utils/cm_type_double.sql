{#- A 64-bit float. dbt.type_float() is a 32-bit REAL on DuckDB, too coarse for metrics. -#}
{% macro cm_type_double() %}
    {{ return(adapter.dispatch('cm_type_double', 'classifier_monitor')()) }}
{% endmacro %}

{% macro default__cm_type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__cm_type_double() -%}
    double
{%- endmacro %}
