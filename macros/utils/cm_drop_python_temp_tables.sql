{#-
  Drop the `<model>__dbt_tmp<timestamp>` tables an incremental Python model
  leaves behind (dbt-duckdb writes the model's output to such a table before
  merging it, and does not drop it). Used as the model's post-hook; returns the
  DROP statements, or a no-op when there is nothing to drop.
-#}
{% macro cm_drop_python_temp_tables(relation) %}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set leftovers = run_query(
        "select table_schema, table_name from information_schema.tables"
        ~ " where table_catalog = '" ~ relation.database ~ "'"
        ~ " and table_name like '" ~ relation.identifier ~ "\\_\\_dbt\\_tmp%' escape '\\'"
    ) -%}
    {%- set statements = [] -%}
    {%- for row in leftovers.rows -%}
        {%- do statements.append('drop table if exists "' ~ relation.database ~ '"."' ~ row[0] ~ '"."' ~ row[1] ~ '"') -%}
    {%- endfor -%}
    {{ return(statements | join(';\n') if statements else 'select 1') }}
{% endmacro %}
