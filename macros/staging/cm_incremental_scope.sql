{#-
  The rows an incremental staging run judges, and how it finds them without
  reading the raw history.

  Rows are classified per event key (an event's retries, conflicts and labels
  are judged together, from all of its rows). A run judges again the keys that
  changed:
    - a key with a raw row that arrived in the window (ingested after the newest
      row already staged minus `ingestion_lookback_hours`, or without a usable
      ingested_at) whose count of raw rows in the window differs from its count
      of staged rows in the window. Raw tables are append-only, so a key that
      got a row has one raw row more than it has staged rows; a key whose rows
      were all staged already is left alone, and the lookback window is not
      re-judged (and re-written) on every run;
    - every key a backfill window names;
    - the quarantined keys when `readmit_quarantined` is set (true/'all', or one
      reason).
  A changed key is judged from its raw rows in the window plus its staged rows
  outside the window: every staged row is the typed, validated form of one raw
  row (with its content hash and, where a cast lost something, the raw row as
  JSON), so the two together are all of the key's rows, and the judgement is
  exactly a full refresh's. The raw history is never read: the run reads the raw
  rows of the window (a range scan on ingested_at) and looks the window's keys
  up in the staged table. Backfill and re-admitted keys are judged from all of
  their raw rows (a rule or a window changed, so the stored verdicts do not
  count); those runs read the raw ids once.
-#}

{#- The unit of judgement. Rows without an event_id cannot be duplicates of
    each other, so each keeps a key of its own (by ingested_at): otherwise every
    new one would re-stage, and re-validate, all the old ones. -#}
{% macro cm_event_key(column, ingested_at_column='ingested_at') -%}
    coalesce(
        nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), ''),
        '(missing event_id) ' || coalesce(cast({{ ingested_at_column }} as {{ dbt.type_string() }}), '')
    )
{%- endmacro %}

{#- The scope's `since`: the newest staged ingested_at minus the lookback, as a
    literal (none while nothing is staged). -#}
{% macro cm_scope_since(target_relation) %}
    {%- set lookback = cm_config('ingestion_lookback_hours') | int -%}
    {{ return(cm_query_value(
        "select " ~ dbt.dateadd('hour', -lookback, cm_newest_value(target_relation, 'ingested_at')))) }}
{% endmacro %}

{#- Whether a row (raw: cast its ingested_at; staged: already typed) is in the
    window of rows that arrived since `since`. -#}
{% macro cm_scope_in_window(ingested_at, since) -%}
    {%- if since is none -%}
        true
    {%- else -%}
        ({{ ingested_at }} is null or {{ ingested_at }} > {{ cm_timestamp_literal(since) }})
    {%- endif -%}
{%- endmacro %}

{#- The keys judged from all of their raw rows whatever their counts: the
    backfill window's (the ids of the raw inferences whose event_time is in
    the window; labels name their events by the inference's event_time too)
    and, with `readmit_quarantined`, the target's quarantined keys. Returns a
    query with one column `event_key`, or none. -#}
{% macro cm_scope_whole_keys(target_relation, inference_source) %}
    {%- set backfill = cm_backfill_predicate(cm_safe_cast('event_time', dbt.type_timestamp())) -%}
    {%- set readmit = cm_config('readmit_quarantined') -%}
    {%- set parts = [] -%}
    {%- if backfill is not none -%}
        {%- do parts.append("select " ~ cm_event_key('event_id') ~ " as event_key from " ~ inference_source
                            ~ " where " ~ backfill) -%}
    {%- endif -%}
    {%- if readmit -%}
        {%- set reason_filter = (" and reason = '" ~ readmit ~ "'") if (readmit is string and readmit not in ('all', 'true')) else '' -%}
        {%- do parts.append("select _event_key as event_key from " ~ target_relation
                            ~ " where status = 'quarantined'" ~ reason_filter) -%}
    {%- endif -%}
    {{ return(parts | join('\nunion\n') if parts else none) }}
{% endmacro %}

{% macro cm_scope_raw_rows(source_relation, since, whole_keys=none) %}
    {{ return(adapter.dispatch('cm_scope_raw_rows', 'classifier_monitor')(source_relation, since, whole_keys)) }}
{% endmacro %}

{#- The raw rows to type and validate: the rows of the window (zone maps on
    ingested_at skip the old row groups of a table; a Parquet scan skips row
    groups by their statistics), and every raw row of the whole keys.
    The window is two branches, a range and the rows without a usable
    ingested_at, not one `is null or >` test: a warehouse pushes a plain range
    (or null test) on a column into its scan, but evaluates the disjunction row
    by row over the whole raw table (DuckDB 1.5, 20M raw inferences: the scan
    took 0.26 s of CPU in the staging statement; counting the window's rows
    took 1 ms as a range, 20-55 ms as the disjunction). The branches are
    disjoint, so their union all is the window's rows, each once. The contract
    types ingested_at as a timestamp; a raw table that stores it as text
    cannot be pruned either way, and is then scanned once per branch. -#}
{% macro default__cm_scope_raw_rows(source_relation, since, whole_keys=none) %}
    {%- set ingested_at = cm_safe_cast('ingested_at', dbt.type_timestamp()) -%}
    {%- set not_whole -%}
        {%- if whole_keys %}
        and {{ cm_event_key('event_id') }} not in (
            select event_key from ({{ whole_keys }}) as whole_keys where event_key is not null)
        {%- endif -%}
    {%- endset -%}
    {%- if since is none %}
    select * from {{ source_relation }}
    where true{{ not_whole }}
    {%- else %}
    select * from {{ source_relation }}
    where {{ ingested_at }} > {{ cm_timestamp_literal(since) }}{{ not_whole }}
    union all
    select * from {{ source_relation }}
    where {{ ingested_at }} is null{{ not_whole }}
    {%- endif %}
    {%- if whole_keys %}
    union all
    select * from {{ source_relation }}
    where {{ cm_event_key('event_id') }} in (
        select event_key from ({{ whole_keys }}) as whole_keys where event_key is not null)
    {%- endif %}
{% endmacro %}

{% macro cm_scope_judged_rows(validated, target_relation, since, columns, staged_invalid_reason, whole_keys=none) %}
    {{ return(adapter.dispatch('cm_scope_judged_rows', 'classifier_monitor')(
        validated, target_relation, since, columns, staged_invalid_reason, whole_keys)) }}
{% endmacro %}

{#-
  All rows of the changed keys, in the shape of `validated` (the CTE of typed,
  validated raw rows from cm_scope_raw_rows) restricted to `columns`: the new
  rows of a changed key, and its staged rows from before the window, whose
  `_invalid_reason` is `staged_invalid_reason` (an expression over the staged
  row).
  Fetching every column of the rows a key lookup matches decompresses every
  column of every vector a match falls in (measured at 10M staged rows, one
  thread: 1.3 s to fetch the 103 staged rows of 9,100 looked-up keys, 0.2 s
  to find them in the key column alone).
  So a narrow lookup finds the key hashes (cm_key_hash: fixed width, a third
  cheaper to scan than the key strings) and ingested_at of the window's keys'
  staged rows, the counts come from it, and the wide columns are fetched only
  for the rows a changed key keeps from before the window (usually a handful:
  a late retry, a correction of an old label). The portable form fetches them
  with a second lookup by key.
  The fetch also matches the kept rows' own ingested_at (found by the narrow
  lookup). DuckDB pushes their min and max into the scan, so zone maps skip the
  row groups staged outside the span of the kept rows, and a Bloom filter of
  the exact timestamps, which lets almost no other row through. A filter on the
  key or row id alone lets about 1% of the rows through, enough to decode the
  wide columns of nearly every vector in the span (measured at 16M staged
  labels, 78 kept rows, fresh process: 0.48 s, against 0.07 s with the
  ingested_at match).
-#}
{% macro default__cm_scope_judged_rows(validated, target_relation, since, columns, staged_invalid_reason, whole_keys=none) %}
    {{ return(cm_scope_judged_rows_sql(validated, target_relation, since, columns, staged_invalid_reason, whole_keys,
                                       by_row_id=false)) }}
{% endmacro %}

{#- DuckDB fetches the kept rows by row id (no second scan of the key column);
    `staging_row_ids: false` takes the portable form, for DuckDB-compatible
    catalogs without row ids. -#}
{% macro duckdb__cm_scope_judged_rows(validated, target_relation, since, columns, staged_invalid_reason, whole_keys=none) %}
    {{ return(cm_scope_judged_rows_sql(validated, target_relation, since, columns, staged_invalid_reason, whole_keys,
                                       by_row_id=cm_config('staging_row_ids'))) }}
{% endmacro %}

{% macro cm_scope_judged_rows_sql(validated, target_relation, since, columns, staged_invalid_reason, whole_keys, by_row_id) %}
    {%- set whole_key_test -%}
        _event_key in (select event_key from ({{ whole_keys }}) as whole_keys where event_key is not null)
    {%- endset -%}
    {#- A kept row's key and event_id are not read from it: they are strings, and
        the kept rows are scattered, so reading them would decode a vector of
        strings per row (at 10M staged labels, one thread: 0.24 s of the 0.30 s
        it takes to fetch 87 such rows). The key is the changed key the row was
        found by; its event_id is that key, or null when the row has none
        (missing_event_id is the first rule of both staging models, so exactly
        those rows carry that reason). -#}
    {%- set kept_columns = columns | reject('in', ['_event_key', 'event_id', '_invalid_reason']) | list
                           + ['status', 'reason'] -%}
    {%- set sql -%}
    with staged_keys as {{ 'materialized ' if by_row_id }}(
        select {{ 'rowid as row_id, ' if by_row_id }}_key_hash, ingested_at, {{ cm_scope_in_window('ingested_at', since) }} as in_window
        from {{ target_relation }}
        -- the filter on the key side lets DuckDB push a Bloom filter of the keys into the scan
        where _key_hash in (select _key_hash from {{ validated }} where _key_hash is not null)
    ),

    new_counts as (
        select _key_hash, _event_key, count(*) as new_rows
        from {{ validated }}
        group by _key_hash, _event_key
    ),

    staged_counts as (
        select
            _key_hash,
            count(case when in_window then 1 end) as staged_rows
        from staged_keys
        group by _key_hash
    ),

    changed_keys as {{ 'materialized ' if by_row_id }}(
        select
            new_counts._key_hash,
            new_counts._event_key,
            {{ ('new_counts.' ~ whole_key_test) if whole_keys else 'false' }} as is_whole
        from new_counts
        left join staged_counts on staged_counts._key_hash = new_counts._key_hash
        where new_counts.new_rows <> coalesce(staged_counts.staged_rows, 0)
            {%- if whole_keys %}
            or new_counts.{{ whole_key_test }}
            {%- endif %}
    ),

    -- the staged rows the changed keys keep from before the window (rows a
    -- backfill or re-admission names are judged from their raw rows instead)
    kept_keys as {{ 'materialized ' if by_row_id }}(
        select {{ 'staged_keys.row_id, ' if by_row_id }}staged_keys._key_hash, staged_keys.ingested_at
        from staged_keys
        inner join changed_keys on changed_keys._key_hash = staged_keys._key_hash
        where not staged_keys.in_window and not changed_keys.is_whole
    ),

    kept_rows as {{ 'materialized ' if by_row_id }}(
        select {{ kept_columns | join(', ') }}
        from {{ target_relation }}
        {% if by_row_id -%}
        where rowid in (select row_id from kept_keys)
        {%- else -%}
        where not {{ cm_scope_in_window('ingested_at', since) }}
            and _key_hash in (select _key_hash from kept_keys where _key_hash is not null)
        {%- endif %}
            -- (a kept row is outside the window, so its ingested_at is not null)
            and ingested_at in (select ingested_at from kept_keys where ingested_at is not null)
    )

    select {{ columns | join(', ') }}
    from {{ validated }}
    where _key_hash in (select _key_hash from changed_keys)
    union all
    select
        {% for column in columns -%}
        {%- if column == '_invalid_reason' -%}
        {{ staged_invalid_reason }}
        {%- elif column == '_event_key' -%}
        changed_keys._event_key
        {%- elif column == 'event_id' -%}
        case when kept.reason = 'missing_event_id' then null else changed_keys._event_key end
        {%- else -%}
        kept.{{ column }}
        {%- endif %} as {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from kept_rows as kept
    inner join changed_keys on changed_keys._key_hash = kept._key_hash
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}
