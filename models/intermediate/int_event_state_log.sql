-- depends_on: {{ ref('int_quality_gate_batch_verdict') }}
{# (no whitespace control on this tag: a `-- depends_on:` line above it must keep its line break)
  An append-only log of event states: one row each time an event's countable
  state (cm_state_columns) first appears or changes - a new inference, its first
  label, a corrected label. Each row carries the state it replaces (prev_*), so a
  consumer can turn any run of log rows into exact +1/-1 deltas, even if it
  missed runs. The latest row per event_id is the event's current state.

  Cost of an incremental run: the events whose staged rows were (re)written since
  the newest log row, looked up by event_id; nothing else is read.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}

{%- set state = cm_state_columns() -%}

with

{% if is_incremental() %}
{%- set last_batch = cm_query_value("select max(batch_id) from " ~ this, 0) -%}
{%- set staged_through = cm_query_value("select max(_staged_through) from " ~ this, '1900-01-01 00:00:00') %}
previous_run as (
    select cast({{ last_batch }} as {{ dbt.type_bigint() }}) as batch_id
),

touched_events as (
    select event_id from {{ ref('stg_inference_rows') }}
    where _staged_at > {{ cm_timestamp_literal(staged_through) }} and event_id is not null
    union
    select event_id from {{ ref('stg_label_rows') }}
    where _staged_at > {{ cm_timestamp_literal(staged_through) }} and event_id is not null
),

inferences as (
    select * from {{ ref('stg_inference_events') }}
    where event_id in (select event_id from touched_events)
),

labels as (
    select * from {{ ref('stg_label_events') }}
    where event_id in (select event_id from touched_events)
),

logged_states as (
    select
        logged.*,
        row_number() over (partition by logged.event_id order by logged.batch_id desc) as recency
    from {{ this }} as logged
    where logged.event_id in (select event_id from touched_events)
),

previous_states as (
    select * from logged_states where recency = 1
),
{% else %}
previous_run as (
    select 0 as batch_id
),

inferences as (
    select * from {{ ref('stg_inference_events') }}
),

labels as (
    select * from {{ ref('stg_label_events') }}
),
{% endif %}

current_states as (
    select
        inferences.event_id,
        {% for column in state -%}
        {{ cm_state_column_expression(column, 'inferences', 'labels') }} as {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from inferences
    left join labels on labels.event_id = inferences.event_id
),

changed_states as (
    select
        current_states.*,
        {% if is_incremental() -%}
        previous_states.event_id is not null as has_prev,
        {% for column in state -%}
        previous_states.{{ column }} as prev_{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
        {%- else -%}
        false as has_prev,
        {% for column in state -%}
        cast(null as {{ cm_state_column_type(column) }}) as prev_{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
        {%- endif %}
    from current_states
    {% if is_incremental() -%}
    left join previous_states on previous_states.event_id = current_states.event_id
    where previous_states.event_id is null
        {% for column in state -%}
        or current_states.{{ column }} is distinct from previous_states.{{ column }}
        {% endfor -%}
    {%- endif %}
)

select
    cast((select batch_id from previous_run) + 1 as {{ dbt.type_bigint() }}) as batch_id,
    changed_states.*,
    (
        select max(staged_at) from (
            select max(_staged_at) as staged_at from {{ ref('stg_inference_rows') }}
            union all
            select max(_staged_at) as staged_at from {{ ref('stg_label_rows') }}
        ) as staged
    ) as _staged_through
from changed_states
