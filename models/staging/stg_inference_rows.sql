{#-
  Every raw inference row, typed and classified, one row per raw row:
    accepted     the first-ingested valid version of its event_id (one per event)
    duplicate    an identical retry of the accepted version (counted once)
    quarantined  malformed (reason names the first rule it breaks) or a
                 conflicting version of an event_id (reason conflicting_duplicate)
  Keeping every raw row makes reconciliation exact by construction and lets an
  incremental run re-judge an event_id from all of its rows.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_staged_keys',
        unique_key='_key_hash',
        on_schema_change='fail'
    )
}}

{%- set slices = cm_config('slice_columns') -%}
{%- set features = cm_config('numeric_features') + cm_config('categorical_features') -%}
{%- set skew = cm_config('max_clock_skew_minutes') | int -%}
{%- set ts = dbt.type_timestamp() -%}
{%- set str = dbt.type_string() -%}
{%- set flt = cm_type_double() -%}
{%- set cast_columns = {'event_time': ts, 'ingested_at': ts, 'predicted_score': flt, 'latency_ms': flt,
                         'is_error': dbt.type_boolean()} -%}
{%- for column in cm_config('numeric_features') -%}{%- do cast_columns.update({column: flt}) -%}{%- endfor -%}
{%- set contract_columns = ['event_id', 'event_time', 'ingested_at', 'model_name', 'model_version', 'predicted_class',
                            'predicted_score', 'class_scores', 'latency_ms', 'is_error'] + slices + features -%}

with

{% if is_incremental() %}
{%- set since = cm_scope_since(this) -%}
{%- set whole_keys = cm_scope_whole_keys(this, source('raw', 'inference_events')) %}
-- the raw rows of the window, and of the keys a backfill or re-admission names
raw_rows as (
    {{ cm_scope_raw_rows(source('raw', 'inference_events'), since, whole_keys) }}
),
{% else %}
raw_rows as (
    select * from {{ source('raw', 'inference_events') }}
),
{% endif %}

typed as (
    select
        {{ cm_event_key('raw_rows.event_id', 'raw_rows.ingested_at') }} as _event_key,
        {{ cm_key_hash(cm_event_key('raw_rows.event_id', 'raw_rows.ingested_at')) }} as _key_hash,
        nullif(trim(cast(raw_rows.event_id as {{ str }})), '') as event_id,
        {{ cm_safe_cast('raw_rows.event_time', ts) }} as event_time,
        {{ cm_safe_cast('raw_rows.ingested_at', ts) }} as ingested_at,
        nullif(trim(cast(raw_rows.model_name as {{ str }})), '') as model_name,
        nullif(trim(cast(raw_rows.model_version as {{ str }})), '') as model_version,
        nullif(trim(cast(raw_rows.predicted_class as {{ str }})), '') as predicted_class,
        {{ cm_safe_cast('raw_rows.predicted_score', flt) }} as predicted_score,
        cast(raw_rows.class_scores as {{ str }}) as class_scores,
        {{ cm_safe_cast('raw_rows.latency_ms', flt) }} as latency_ms,
        {{ cm_safe_cast('raw_rows.is_error', dbt.type_boolean()) }} as is_error,
        {% for column in slices -%}
        coalesce(cast(raw_rows.{{ column }} as {{ str }}), '{{ cm_config("missing_slice_value") }}') as {{ column }},
        {% endfor -%}
        {% for column in cm_config('numeric_features') -%}
        {{ cm_safe_cast('raw_rows.' ~ column, flt) }} as {{ column }},
        {% endfor -%}
        {% for column in cm_config('categorical_features') -%}
        cast(raw_rows.{{ column }} as {{ str }}) as {{ column }},
        {% endfor -%}
        -- a present value that failed its cast (a null that was null in raw is fine)
        (raw_rows.predicted_score is not null and {{ cm_safe_cast('raw_rows.predicted_score', flt) }} is null) as _bad_score_type,
        (raw_rows.latency_ms is not null and {{ cm_safe_cast('raw_rows.latency_ms', flt) }} is null) as _bad_latency_type,
        (raw_rows.is_error is not null and {{ cm_safe_cast('raw_rows.is_error', dbt.type_boolean()) }} is null) as _bad_is_error_type,
        -- keep the raw row only where a cast lost something: computing it for
        -- every row would be the most expensive expression of the model
        case when
            {%- for column, type in cast_columns.items() %}
            (raw_rows.{{ column }} is not null and {{ cm_safe_cast('raw_rows.' ~ column, type) }} is null){{ ' or' if not loop.last }}
            {%- endfor %}
        then {{ cm_row_to_json('raw_rows', contract_columns) }}
        end as _raw_json
    from raw_rows
),

validated as (
    select
        typed.*,
        case
            when event_id is null then 'missing_event_id'
            when ingested_at is null then 'missing_ingested_at'
            when event_time is null then 'missing_event_time'
            when model_name is null then 'missing_model_name'
            when model_version is null then 'missing_model_version'
            when predicted_class is null then 'missing_predicted_class'
            when _bad_score_type or predicted_score < 0 or predicted_score > 1 then 'predicted_score_out_of_range'
            when _bad_latency_type or latency_ms < 0 then 'invalid_latency_ms'
            when _bad_is_error_type then 'invalid_is_error'
            when class_scores is not null and not {{ cm_is_json_object('class_scores') }} then 'invalid_class_scores'
            when event_time > {{ dbt.dateadd('minute', skew, 'ingested_at') }} then 'event_time_in_future'
        end as _invalid_reason,
        -- content hash: every contract column except ingested_at, so retries compare equal
        {{ cm_row_hash(['event_id', 'event_time', 'model_name', 'model_version', 'predicted_class', 'predicted_score',
                        'class_scores', 'latency_ms', 'is_error'] + slices + features) }} as _content_hash
    from typed
),

-- every row of every key to judge: on an incremental run, the changed keys'
-- new raw rows and their rows staged before the window (cm_scope_judged_rows)
judged as (
    {%- set judged_columns = ['_event_key', '_key_hash', 'event_id', 'event_time', 'ingested_at', 'model_name', 'model_version',
                              'predicted_class', 'predicted_score', 'class_scores', 'latency_ms', 'is_error']
                             + slices + features + ['_raw_json', '_invalid_reason', '_content_hash'] %}
    {%- if is_incremental() %}
    {{ cm_scope_judged_rows('validated', this, since, judged_columns,
        staged_invalid_reason="case when status = 'quarantined' and reason <> 'conflicting_duplicate' then reason end",
        whole_keys=whole_keys) }}
    {%- else %}
    select {{ judged_columns | join(', ') }} from validated
    {%- endif %}
),

-- Most event_ids have a single raw row; ranking only the keys with several
-- rows keeps the expensive partitioned sort to the few percent that need it.
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
    select sized.*, 1 as _arrival_rank, _content_hash as _winner_hash
    from sized
    where key_rows = 1
    union all
    select
        sized.*,
        -- valid rows first, then by arrival: the first-ingested valid version wins
        row_number() over (
            partition by _event_key
            order by case when _invalid_reason is null then 0 else 1 end, ingested_at, _content_hash
        ) as _arrival_rank,
        first_value(_content_hash) over (
            partition by _event_key
            order by case when _invalid_reason is null then 0 else 1 end, ingested_at, _content_hash
            rows between unbounded preceding and unbounded following
        ) as _winner_hash
    from sized
    where key_rows > 1
),

classified as (
    select
        ranked.*,
        case
            when _invalid_reason is not null then 'quarantined'
            when _arrival_rank = 1 then 'accepted'
            when _content_hash = _winner_hash then 'duplicate'
            else 'quarantined'
        end as status,
        case
            when _invalid_reason is not null then _invalid_reason
            when _arrival_rank > 1 and _content_hash <> _winner_hash then 'conflicting_duplicate'
        end as reason
    from ranked
)

select
    _event_key,
    _key_hash,
    status,
    reason,
    event_id,
    event_time,
    {{ dbt.date_trunc('hour', 'event_time') }} as hour,
    ingested_at,
    model_name,
    model_version,
    predicted_class,
    predicted_score,
    class_scores,
    latency_ms,
    coalesce(is_error, false) as is_error,
    {% for column in slices + features -%}
    {{ column }},
    {% endfor -%}
    _content_hash,
    _raw_json,
    {{ cm_run_marker() }} as _staged_at
from classified
