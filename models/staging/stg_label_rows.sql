{#-
  Every raw label row, typed and classified, one row per raw row:
    applied      the latest valid label of its event_id (labeled_at, then
                 ingested_at, then content decide), one per event_id
    superseded   an older label of the same event_id (a correction replaced it,
                 or it repeats the applied label)
    quarantined  malformed; reason names the first rule it breaks
  An event's labels are judged together, from all of its raw rows.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_staged_keys',
        unique_key='_key_hash',
        on_schema_change='fail'
    )
}}

{%- set skew = cm_config('max_clock_skew_minutes') | int -%}
{%- set ts = dbt.type_timestamp() -%}
{%- set str = dbt.type_string() -%}

with

{% if is_incremental() %}
{%- set since = cm_scope_since(this) -%}
{#- a backfill window names events by their inference's event_time -#}
{%- set whole_keys = cm_scope_whole_keys(this, source('raw', 'inference_events')) %}
-- the raw rows of the window, and of the keys a backfill or re-admission names
raw_rows as (
    {{ cm_scope_raw_rows(source('raw', 'label_events'), since, whole_keys) }}
),
{% else %}
raw_rows as (
    select * from {{ source('raw', 'label_events') }}
),
{% endif %}

typed as (
    select
        {{ cm_event_key('raw_rows.event_id', 'raw_rows.ingested_at') }} as _event_key,
        {{ cm_key_hash(cm_event_key('raw_rows.event_id', 'raw_rows.ingested_at')) }} as _key_hash,
        nullif(trim(cast(raw_rows.event_id as {{ str }})), '') as event_id,
        nullif(trim(cast(raw_rows.label as {{ str }})), '') as label,
        {{ cm_safe_cast('raw_rows.labeled_at', ts) }} as labeled_at,
        {{ cm_safe_cast('raw_rows.ingested_at', ts) }} as ingested_at,
        cast(raw_rows.label_source as {{ str }}) as label_source,
        -- the raw row, only where a cast lost something (see stg_inference_rows)
        case when
            (raw_rows.labeled_at is not null and {{ cm_safe_cast('raw_rows.labeled_at', ts) }} is null)
            or (raw_rows.ingested_at is not null and {{ cm_safe_cast('raw_rows.ingested_at', ts) }} is null)
        then {{ cm_row_to_json('raw_rows', ['event_id', 'label', 'labeled_at', 'ingested_at', 'label_source']) }}
        end as _raw_json
    from raw_rows
),

validated as (
    select
        typed.*,
        case
            when event_id is null then 'missing_event_id'
            when ingested_at is null then 'missing_ingested_at'
            when label is null then 'missing_label'
            when labeled_at is null then 'missing_labeled_at'
            when labeled_at > {{ dbt.dateadd('minute', skew, 'ingested_at') }} then 'labeled_at_in_future'
        end as _invalid_reason,
        {{ cm_row_hash(['event_id', 'label', 'labeled_at', 'label_source']) }} as _content_hash
    from typed
),

-- every row of every key to judge (see stg_inference_rows)
judged as (
    {%- set judged_columns = ['_event_key', '_key_hash', 'event_id', 'label', 'labeled_at', 'ingested_at', 'label_source',
                              '_raw_json', '_invalid_reason', '_content_hash'] %}
    {%- if is_incremental() %}
    {{ cm_scope_judged_rows('validated', this, since, judged_columns,
        staged_invalid_reason="case when status = 'quarantined' then reason end", whole_keys=whole_keys) }}
    {%- else %}
    select {{ judged_columns | join(', ') }} from validated
    {%- endif %}
),

-- see stg_inference_rows: rank only the event_ids with several label rows
key_sizes as (
    select _event_key, count(*) as key_rows
    from judged
    group by _event_key
),

sized as (
    select judged.*, key_sizes.key_rows
    from judged
    inner join key_sizes on key_sizes._event_key = judged._event_key
),

ranked as (
    select sized.*, 1 as _recency_rank
    from sized
    where key_rows = 1
    union all
    select
        sized.*,
        row_number() over (
            partition by _event_key
            order by case when _invalid_reason is null then 0 else 1 end,
                labeled_at desc, ingested_at desc, _content_hash desc
        ) as _recency_rank
    from sized
    where key_rows > 1
)

select
    _event_key,
    _key_hash,
    case
        when _invalid_reason is not null then 'quarantined'
        when _recency_rank = 1 then 'applied'
        else 'superseded'
    end as status,
    _invalid_reason as reason,
    event_id,
    label,
    labeled_at,
    ingested_at,
    label_source,
    _content_hash,
    _raw_json,
    {{ cm_run_marker() }} as _staged_at
from ranked
