{#-
  The optional backfill window, from vars backfill_start / backfill_end (UTC,
  end exclusive). Returns a SQL predicate over an event-time expression, or none.
-#}
{% macro cm_backfill_predicate(event_time_expression) %}
    {%- set start = cm_config('backfill_start') -%}
    {%- set end = cm_config('backfill_end') -%}
    {%- if start is none and end is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- if start is not none -%}{%- do parts.append(event_time_expression ~ " >= " ~ cm_timestamp_literal(start | string)) -%}{%- endif -%}
    {%- if end is not none -%}{%- do parts.append(event_time_expression ~ " < " ~ cm_timestamp_literal(end | string)) -%}{%- endif -%}
    {{ return(parts | join(' and ')) }}
{% endmacro %}
