{#-
  The largest non-null value of a column: as a query (`cm_newest_value_sql`,
  no row when there is none) for a watermark read when a model executes, or as
  a scalar subquery (`cm_newest_value`, null when there is none) inside a
  model's SQL. Used on append-ordered columns (ingested_at, _staged_at) of
  tables that grow with the history.
-#}
{% macro cm_newest_value_sql(relation, column) %}
    {{ return(adapter.dispatch('cm_newest_value_sql', 'classifier_monitor')(relation, column)) }}
{% endmacro %}

{% macro default__cm_newest_value_sql(relation, column) %}
    {{ return("select max(" ~ column ~ ") from " ~ relation ~ " having max(" ~ column ~ ") is not null") }}
{% endmacro %}

{#- DuckDB: a top-1 query instead of max(). DuckDB pushes the running top value
    into the scan as a filter, so zone maps skip every row group below the
    newest ones, while max() reads the whole column (measured on 16M staged
    labels: 4 ms instead of 70-170 ms in a fresh process; on 20M staged
    inferences, inside an SLI model: 0.57 s cold). -#}
{% macro duckdb__cm_newest_value_sql(relation, column) %}
    {{ return("select " ~ column ~ " from " ~ relation ~ " where " ~ column ~ " is not null order by "
              ~ column ~ " desc limit 1") }}
{% endmacro %}

{% macro cm_newest_value(relation, column) -%}
    ({{ cm_newest_value_sql(relation, column) }})
{%- endmacro %}
