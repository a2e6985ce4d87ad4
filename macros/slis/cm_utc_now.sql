{#- The current instant as a naive UTC timestamp, like every timestamp of the contract. -#}
{% macro cm_utc_now() %}
    {{ return(adapter.dispatch('cm_utc_now', 'classifier_monitor')()) }}
{% endmacro %}

{% macro default__cm_utc_now() -%}
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- DuckDB's current_timestamp carries the session time zone; convert before dropping it. -#}
{% macro duckdb__cm_utc_now() -%}
    cast(timezone('UTC', current_timestamp) as timestamp)
{%- endmacro %}
