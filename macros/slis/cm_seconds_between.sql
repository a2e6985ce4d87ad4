{#- Seconds from one timestamp to another, with sub-second precision where the warehouse has it. -#}
{% macro cm_seconds_between(start, end) %}
    {{ return(adapter.dispatch('cm_seconds_between', 'classifier_monitor')(start, end)) }}
{% endmacro %}

{% macro default__cm_seconds_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'millisecond') }} as {{ cm_type_double() }}) / 1000
{%- endmacro %}

{#- DuckDB: epoch() keeps the microseconds; date_diff('second') would truncate. -#}
{% macro duckdb__cm_seconds_between(start, end) -%}
    (epoch({{ end }}) - epoch({{ start }}))
{%- endmacro %}
