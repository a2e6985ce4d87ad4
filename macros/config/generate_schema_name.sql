{#-
  Models land in plain schemas named by their layer (staging, intermediate,
  marts) rather than dbt's default <target_schema>_<layer>, so BI tools and the
  README can name `marts.fct_model_metrics_hourly` on every target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
