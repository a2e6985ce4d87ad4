{#-
  The raw rows an incremental staging run must (re)classify.

  Rows are classified per event key (an event's retries, conflicts and labels are
  judged together), so the scope is every raw row of every key that has a row
  ingested since the newest row already staged, minus `ingestion_lookback_hours`
  (rows that land slightly out of ingested_at order are caught), plus rows with
  no usable ingested_at (they cannot be windowed, and are few), plus the keys a
  backfill window names, plus the quarantined keys when `readmit_quarantined` is
  set (true/'all', or one reason). Re-classifying a key from all its raw rows gives exactly
  what a full refresh gives, so re-reading is idempotent.
-#}
{#- The unit of re-judgement. Rows without an event_id cannot be duplicates of
    each other, so each keeps a key of its own (by ingested_at): otherwise every
    new one would re-stage, and re-validate, all the old ones. -#}
{% macro cm_event_key(column, ingested_at_column='ingested_at') -%}
    coalesce(
        nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), ''),
        '(missing event_id) ' || coalesce(cast({{ ingested_at_column }} as {{ dbt.type_string() }}), '')
    )
{%- endmacro %}

{% macro cm_incremental_scope(source_relation, target_relation, backfill_filter=none) %}
    {%- set lookback = cm_config('ingestion_lookback_hours') | int -%}
    {%- set readmit = cm_config('readmit_quarantined') -%}
    {%- set ingested_at = cm_safe_cast('ingested_at', dbt.type_timestamp()) -%}
    {%- set since = cm_query_value(
        "select " ~ dbt.dateadd('hour', -lookback, "max(ingested_at)") ~ " from " ~ target_relation) -%}
    select * from {{ source_relation }}
    where {{ cm_event_key('event_id') }} in (
        select {{ cm_event_key('event_id') }}
        from {{ source_relation }}
        where {{ ingested_at }} is null
            {%- if since is not none %}
            or {{ ingested_at }} > {{ cm_timestamp_literal(since) }}
            {%- else %}
            or true
            {%- endif %}
            {%- if backfill_filter %}
            or ({{ backfill_filter }})
            {%- endif %}
    )
    {%- if readmit %}
    -- re-admission: judge quarantined keys again (after a rule or config fix)
    or {{ cm_event_key('event_id') }} in (
        select _event_key from {{ target_relation }}
        where status = 'quarantined'
        {%- if readmit is string and readmit not in ('all', 'true') %}
            and reason = '{{ readmit }}'
        {%- endif %}
    )
    {%- endif %}
{% endmacro %}
