{#- A UTC timestamp literal from a Python datetime or an ISO string. -#}
{% macro cm_timestamp_literal(value) -%}
    {%- if value is string -%}
        cast('{{ value }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{#- The instant this dbt invocation started, as a naive UTC timestamp: the marker
    written on every row a run (re)writes. -#}
{% macro cm_run_marker() -%}
    {{ cm_timestamp_literal(run_started_at.replace(tzinfo=none)) }}
{%- endmacro %}
