{#-
  Additive prediction counts per hourly key x predicted_class x actual_class,
  where actual_class is null for predictions that have no label yet. Everything
  the confusion-matrix and metric marts need comes from here.

  Incremental runs apply the state log rows written since the last run as exact
  deltas (+1 for a new state, -1 for the state it replaced), so the cost is the
  number of changed events, not the size of the hours they fall in. Cells are
  never deleted (a cell can fall to 0), which keeps the batch watermark stable.
  A backfill window (vars backfill_start / backfill_end) instead recounts its
  hours from the current event states.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='cell_key',
        on_schema_change='fail'
    )
}}

{%- set slices = cm_config('slice_columns') -%}
{%- set state = cm_state_columns() -%}
{%- set keys = ['hour', 'model_name', 'model_version', 'predicted_class', 'actual_class'] -%}
{%- set cell_key_columns = ['hour', 'model_name', 'model_version', 'slice_name', 'slice_value', 'predicted_class', 'actual_class'] -%}
{%- set backfill = cm_backfill_predicate('hour') -%}

{%- if is_incremental() and execute -%}
    {%- set positions = run_query(
        "select (select coalesce(max(_batch_id), 0) from " ~ this ~ ") as applied, "
        ~ "(select coalesce(max(batch_id), 0) from " ~ ref('int_event_state_log') ~ ") as logged"
    ) -%}
    {%- if positions.rows[0][1] < positions.rows[0][0] -%}
        {{ exceptions.raise_compiler_error(
            "int_prediction_counts_hourly has applied state-log batch " ~ positions.rows[0][0]
            ~ " but int_event_state_log only holds batches up to " ~ positions.rows[0][1]
            ~ ": the log was rebuilt without its consumers. Run `dbt build --full-refresh --select int_event_state_log+`."
        ) }}
    {%- endif -%}
{%- endif %}

with

log as (
    select * from {{ ref('int_event_state_log') }}
),

log_rows as (
    select * from log
    {% if is_incremental() -%}
    where batch_id > {{ cm_query_value("select max(_batch_id) from " ~ this, 0) }}
    {%- endif %}
),

-- every log row adds its state and takes back the state it replaced; over the
-- whole log this telescopes to one +1 per event's current state
signed_states as (
    select {{ state | join(', ') }}, 1 as delta
    from log_rows
    union all
    select
        {% for column in state -%}
        prev_{{ column }} as {{ column }},
        {% endfor -%}
        -1 as delta
    from log_rows
    where has_prev
),

{% if is_incremental() and backfill %}
current_states as (
    select * from (
        select log.*, row_number() over (partition by event_id order by batch_id desc) as recency
        from log
        where event_id in (select event_id from log where {{ backfill }})
    ) as ranked
    where recency = 1 and {{ backfill }}
),

-- inside the backfill window: recount from current states
window_counts as (
    {{ cm_group_by_slices('current_states', keys, ['count(*) as n']) }}
),

existing_in_window as (
    select cell_key, {{ cell_key_columns | join(', ') }} from {{ this }} where {{ backfill }}
),

window_cells as (
    select
        coalesce(existing_in_window.cell_key, {{ cm_row_hash(cm_prefixed(cell_key_columns, 'window_counts.')) }}) as cell_key,
        {% for column in cell_key_columns -%}
        coalesce(window_counts.{{ column }}, existing_in_window.{{ column }}) as {{ column }},
        {% endfor -%}
        coalesce(window_counts.n, 0) as n
    from window_counts
    full outer join existing_in_window
        on {{ cm_row_hash(cm_prefixed(cell_key_columns, 'window_counts.')) }} = existing_in_window.cell_key
),
{% endif %}

delta_counts as (
    select {{ cm_row_hash(cell_key_columns) }} as cell_key, grouped.*
    from (
        {{ cm_group_by_slices(
            'signed_states' if not (is_incremental() and backfill)
            else '(select * from signed_states where not (' ~ backfill ~ ')) as outside_window',
            keys, ['sum(delta) as delta']) }}
    ) as grouped
),

updated as (
    select
        delta_counts.cell_key,
        {% for column in cell_key_columns -%}
        delta_counts.{{ column }},
        {% endfor -%}
        {% if is_incremental() -%}
        coalesce(existing.n, 0) + delta_counts.delta as n
        {%- else -%}
        delta_counts.delta as n
        {%- endif %}
    from delta_counts
    {% if is_incremental() -%}
    left join {{ this }} as existing on existing.cell_key = delta_counts.cell_key
    {%- endif %}
    {% if is_incremental() and backfill %}
    union all
    select * from window_cells
    {% endif %}
),

final as (
    select
        cell_key,
        {{ cell_key_columns | join(', ') }},
        cast(n as {{ dbt.type_bigint() }}) as n,
        -- read from the table, not the `log` CTE: a second reference would make
        -- DuckDB materialise the CTE, i.e. copy the whole log before filtering it
        (select coalesce(max(batch_id), 0) from {{ ref('int_event_state_log') }}) as _batch_id
    from updated
)

select * from final
