{#-
  Run a one-value query when the model executes and return the value, or
  `default` while dbt parses. Incremental watermarks are inlined as literals
  this way so the warehouse can prune storage by them (DuckDB zone maps,
  partition pruning elsewhere); a scalar subquery would be evaluated row by row
  over the whole history.
-#}
{% macro cm_query_value(sql, default=none) %}
    {%- if not execute -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set result = run_query(sql) -%}
    {%- set value = result.columns[0].values()[0] if result.rows | length > 0 else none -%}
    {{ return(default if value is none else value) }}
{% endmacro %}

{#- The first column of a query's rows as a list when the model executes, or
    `default` (an empty list unless given) while dbt parses and while any of
    the relations in `requires` does not exist yet (e.g. `dbt compile` before
    the first build). -#}
{% macro cm_query_values(sql, default=none, requires=[]) %}
    {%- set fallback = default if default is not none else [] -%}
    {%- if not execute -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- for relation in requires if not cm_relation_exists(relation) -%}
        {{ return(fallback) }}
    {%- endfor -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{% endmacro %}

{#- Whether a relation exists in the warehouse (false while dbt parses). -#}
{% macro cm_relation_exists(relation) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema,
                                   identifier=relation.identifier) is not none) }}
{% endmacro %}

{#-
  `column in (sql)` with the query's values inlined as timestamp literals when
  the model executes (`1 = 0` when there are none). A subquery is a join the
  warehouse plans from estimates: for the SLI models' changed hours, DuckDB
  guessed tens of thousands of hours and hashed the 1.7M-row hourly input
  instead (at 20M rows: 0.35 s cold, 0.19 s warm for one input); with the
  literal list it probes a hash table of the few hundred values (0.01 s), and
  warehouses that prune storage by a literal list (partitions, clustering)
  can do so. Above `changed_hours_inline_limit` values, or while dbt parses,
  the subquery stays.
-#}
{% macro cm_in_timestamps(column, sql) %}
    {%- set max_values = cm_config('changed_hours_inline_limit') | int -%}
    {%- if not execute or max_values <= 0 -%}
        {{ return(column ~ ' in (' ~ sql ~ ')') }}
    {%- endif -%}
    {%- set values = run_query('select distinct * from (' ~ sql ~ ') as candidates').columns[0].values()
                     | reject('none') | list -%}
    {%- if values | length == 0 -%}
        {{ return('1 = 0') }}
    {%- elif values | length > max_values -%}
        {{ return(column ~ ' in (' ~ sql ~ ')') }}
    {%- endif -%}
    {#- (joined as strings, not one cm_timestamp_literal call per value: a
        thousand macro calls cost a tenth of a second) -#}
    {%- set cast_open = 'cast(' ~ "'" -%}
    {%- set cast_close = "'" ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    {{ return(column ~ ' in (' ~ cast_open ~ (values | map('string') | sort | join(cast_close ~ ', ' ~ cast_open))
              ~ cast_close ~ ')') }}
{% endmacro %}
