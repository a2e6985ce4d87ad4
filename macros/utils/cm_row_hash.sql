{#-
  A content hash over a list of column expressions, used only to tell whether
  two rows that share an event_id carry the same content. Nulls and the column
  boundaries are encoded so ('a', null) and (null, 'a') differ.
-#}
{% macro cm_row_hash(expressions) %}
    {{ return(adapter.dispatch('cm_row_hash', 'classifier_monitor')(expressions)) }}
{% endmacro %}

{% macro default__cm_row_hash(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '\\x00')") -%}
        {%- if not loop.last -%}{%- do parts.append("'\\x1f'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- DuckDB's native 64-bit hash of the values themselves is an order of magnitude
    faster than md5 over a concatenated string, and nulls hash distinctly. -#}
{% macro duckdb__cm_row_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}
