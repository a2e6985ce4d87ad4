{#-
  The raw rows an incremental staging run must (re)classify.

  Rows are classified per event key (an event's retries, conflicts and labels are
  judged together), so the scope is every raw row of every key that changed:
    - a key with a raw row ingested since the newest row already staged, minus
      `ingestion_lookback_hours` (rows that land slightly out of ingested_at
      order are caught), or with a raw row that has no usable ingested_at, whose
      raw row count differs from its staged row count. Raw tables are
      append-only, so a key that got a row has one raw row more than it has
      staged rows; a key whose rows were all staged already is left alone, and
      the lookback window is not re-classified (and re-written) on every run;
    - every key a backfill window names;
    - the quarantined keys when `readmit_quarantined` is set (true/'all', or one
      reason).
  Re-classifying a key from all its raw rows gives exactly what a full refresh
  gives, so the scope is idempotent.
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

{#- The raw rows that arrived since the last run: ingested after `since` (a
    literal, or none before anything was staged), or without a usable
    ingested_at. -#}
{% macro cm_scope_arrived_rows(since) -%}
    {%- set ingested_at = cm_safe_cast('ingested_at', dbt.type_timestamp()) -%}
    {{ ingested_at }} is null
    {%- if since is not none %}
    or {{ ingested_at }} > {{ cm_timestamp_literal(since) }}
    {%- else %}
    or true
    {%- endif %}
{%- endmacro %}

{#- The arrived keys whose raw row count differs from their staged row count
    (`key_rows`: one row per raw row of the arrived keys, with its `event_key`). -#}
{% macro cm_scope_changed_keys(key_rows, target_relation) -%}
    select raw_counts.event_key
    from (
        select event_key, count(*) as raw_rows
        from {{ key_rows }}
        group by event_key
    ) as raw_counts
    left join (
        select _event_key as event_key, count(*) as staged_rows
        from {{ target_relation }}
        -- the filter on the key side lets DuckDB push a Bloom filter of the keys into the scan
        where _event_key in (select event_key from {{ key_rows }} where event_key is not null)
        group by _event_key
    ) as staged_counts
        on staged_counts.event_key = raw_counts.event_key
    where staged_counts.staged_rows is null or staged_counts.staged_rows <> raw_counts.raw_rows
{%- endmacro %}

{#- The scope's `since`: the newest staged ingested_at minus the lookback, as a literal. -#}
{% macro cm_scope_since(target_relation) %}
    {%- set lookback = cm_config('ingestion_lookback_hours') | int -%}
    {{ return(cm_query_value(
        "select " ~ dbt.dateadd('hour', -lookback, "max(ingested_at)") ~ " from " ~ target_relation)) }}
{% endmacro %}

{#- Re-admission: the quarantined keys of the target (after a rule or config fix). -#}
{% macro cm_scope_readmitted_keys(target_relation) -%}
    {%- set readmit = cm_config('readmit_quarantined') -%}
    select _event_key from {{ target_relation }}
    where status = 'quarantined'
    {%- if readmit is string and readmit not in ('all', 'true') %}
        and reason = '{{ readmit }}'
    {%- endif %}
{%- endmacro %}

{% macro cm_incremental_scope(source_relation, target_relation, backfill_filter=none) %}
    {{ return(adapter.dispatch('cm_incremental_scope', 'classifier_monitor')(source_relation, target_relation, backfill_filter)) }}
{% endmacro %}

{#- Portable: every raw row of the changed keys. Computes the key of every raw
    row, so it scans the whole history. -#}
{% macro default__cm_incremental_scope(source_relation, target_relation, backfill_filter=none) %}
    {%- set since = cm_scope_since(target_relation) -%}
    select * from {{ source_relation }}
    where {{ cm_event_key('event_id') }} in (
        with arrived_keys as (
            select distinct {{ cm_event_key('event_id') }} as event_key
            from {{ source_relation }}
            where {{ cm_scope_arrived_rows(since) }}
        ),

        key_rows as (
            select {{ cm_event_key('event_id') }} as event_key
            from {{ source_relation }}
            where {{ cm_event_key('event_id') }} in (select event_key from arrived_keys)
        )

        {{ cm_scope_changed_keys('key_rows', target_relation) }}
        {%- if backfill_filter %}
        union
        select {{ cm_event_key('event_id') }} from {{ source_relation }} where {{ backfill_filter }}
        {%- endif %}
        {%- if cm_config('readmit_quarantined') %}
        union
        {{ cm_scope_readmitted_keys(target_relation) }}
        {%- endif %}
    )
{% endmacro %}

{#-
  DuckDB, raw table (not a view): the same rows, found without computing a key
  for every raw row and without reading every column of the history. The
  arrived rows come from a range scan on ingested_at (zone maps skip the old
  row groups); older rows of the same keys are found by comparing the raw
  event_id column itself (one hash probe per row), trimmed only where it
  starts or ends with a space. Only the row ids of that narrow scan are
  carried, and the full rows are fetched by row id, so the cost of a run
  follows the new rows, not the history. Views (e.g. over Parquet files) have
  no row ids: they take the portable form.
-#}
{% macro duckdb__cm_incremental_scope(source_relation, target_relation, backfill_filter=none) %}
    {%- set relation = adapter.get_relation(source_relation.database, source_relation.schema, source_relation.identifier) -%}
    {%- if relation is none or relation.type != 'table' -%}
        {{ return(default__cm_incremental_scope(source_relation, target_relation, backfill_filter)) }}
    {%- endif -%}
    {%- set since = cm_scope_since(target_relation) -%}
    {%- set str = dbt.type_string() -%}
    select * from {{ source_relation }}
    where rowid in (
        with arrived_rows as (
            select rowid as row_id, {{ cm_event_key('event_id') }} as event_key
            from {{ source_relation }}
            where {{ cm_scope_arrived_rows(since) }}
        ),

        {% if backfill_filter -%}
        backfill_rows as (
            select rowid as row_id, {{ cm_event_key('event_id') }} as event_key
            from {{ source_relation }}
            where {{ backfill_filter }}
        ),

        {% endif -%}
        wanted_keys as (
            select event_key from arrived_rows
            {%- if backfill_filter %}
            union
            select event_key from backfill_rows
            {%- endif %}
        ),

        key_rows as (
            select row_id, event_key from arrived_rows
            {%- if backfill_filter %}
            union
            select row_id, event_key from backfill_rows
            {%- endif %}
            union
            select row_id, event_key from (
                select
                    rowid as row_id,
                    -- the key an id trims to (trim() drops spaces only): testing
                    -- the ends with LIKE and trimming only the rare ids with
                    -- spaces is several times cheaper than trimming every id
                    case
                        when cast(event_id as {{ str }}) like ' %' or cast(event_id as {{ str }}) like '% '
                            then trim(cast(event_id as {{ str }}))
                        else cast(event_id as {{ str }})
                    end as event_key
                from {{ source_relation }}
            ) as raw_keys
            where event_key in (select event_key from wanted_keys where event_key is not null)
        ),

        changed_keys as (
            {{ cm_scope_changed_keys('key_rows', target_relation) }}
            {%- if backfill_filter %}
            union
            select event_key from backfill_rows
            {%- endif %}
        )

        select row_id from key_rows
        where event_key in (select event_key from changed_keys where event_key is not null)
        {%- if cm_config('readmit_quarantined') %}
        union
        select rowid from {{ source_relation }}
        where {{ cm_event_key('event_id') }} in ({{ cm_scope_readmitted_keys(target_relation) }})
        {%- endif %}
    )
{% endmacro %}
