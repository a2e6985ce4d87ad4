{#-
  Additive sums over labeled predictions per hourly key x histogram x bucket,
  everything the label-dependent SLIs need: label coverage and accuracy
  (n_labeled, n_correct), calibration (confidence bins: n_scored,
  score_sum_micro, n_correct), the Brier score (n_brier, brier_sum_e9) and the
  label-delay histogram. Two histograms partition the same labeled events:
    confidence   bucket = confidence bin 0-9 of predicted_score (null: no score)
    label_delay  bucket = log bucket of labeled_at - event_time

  Maintained like int_prediction_counts_hourly: incremental runs apply the state
  log rows written since the last run as exact +1/-1 deltas, so a late label
  costs one event, not a recount of its hour. All sums are integers (scores in
  1e-6, Brier terms in 1e-9) because only integer sums telescope exactly. Cells
  are never deleted (they can fall to 0). A backfill window recounts its hours
  from the current event states.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='cell_key',
        on_schema_change='fail'
    )
}}

{%- set log = ref('int_event_state_log') -%}
{%- set keys = ['hour', 'model_name', 'model_version', 'histogram', 'bucket'] -%}
{%- set cell_key_columns = ['hour', 'model_name', 'model_version', 'slice_name', 'slice_value', 'histogram', 'bucket'] -%}
{%- set measures = ['n_labeled', 'n_correct', 'n_scored', 'score_sum_micro', 'n_brier', 'brier_sum_e9'] -%}
{%- set sums = [] -%}
{%- for measure in measures -%}{%- do sums.append('sum(' ~ measure ~ ') as ' ~ measure) -%}{%- endfor -%}
{%- set backfill = cm_backfill_predicate('hour') -%}

{%- if is_incremental() -%}
    {%- set applied = cm_applied_log_batch(this, log) -%}
{%- endif %}

with

log as (
    select * from {{ log }}
),

log_rows as (
    select * from log
    {% if is_incremental() -%}
    where batch_id > {{ applied }}
    {%- endif %}
),

signed_states as (
    {{ cm_signed_states('log_rows') }}
),

signed_terms as (
    {{ cm_label_sum_terms('signed_states') }}
),

{% if is_incremental() and backfill %}
current_states as (
    select ranked.*, 1 as delta from (
        select log.*, row_number() over (partition by event_id order by batch_id desc) as recency
        from log
        where event_id in (select event_id from log where {{ backfill }})
    ) as ranked
    where recency = 1 and {{ backfill }}
),

current_terms as (
    {{ cm_label_sum_terms('current_states') }}
),

-- inside the backfill window: recount from current states
window_sums as (
    {{ cm_group_by_slices('current_terms', keys, sums) }}
),

existing_in_window as (
    select cell_key, {{ cell_key_columns | join(', ') }} from {{ this }} where {{ backfill }}
),

window_cells as (
    select
        coalesce(existing_in_window.cell_key, {{ cm_row_hash(cm_prefixed(cell_key_columns, 'window_sums.')) }}) as cell_key,
        {% for column in cell_key_columns -%}
        coalesce(window_sums.{{ column }}, existing_in_window.{{ column }}) as {{ column }},
        {% endfor -%}
        {% for measure in measures -%}
        coalesce(window_sums.{{ measure }}, 0) as {{ measure }}{{ ',' if not loop.last }}
        {% endfor -%}
    from window_sums
    full outer join existing_in_window
        on {{ cm_row_hash(cm_prefixed(cell_key_columns, 'window_sums.')) }} = existing_in_window.cell_key
),
{% endif %}

delta_sums as (
    select {{ cm_row_hash(cell_key_columns) }} as cell_key, grouped.*
    from (
        {{ cm_group_by_slices(
            'signed_terms' if not (is_incremental() and backfill)
            else '(select * from signed_terms where not (' ~ backfill ~ ')) as outside_window',
            keys, sums) }}
    ) as grouped
),

updated as (
    select
        delta_sums.cell_key,
        {% for column in cell_key_columns -%}
        delta_sums.{{ column }},
        {% endfor -%}
        {% for measure in measures -%}
        {% if is_incremental() -%}
        coalesce(existing.{{ measure }}, 0) + delta_sums.{{ measure }} as {{ measure }}{{ ',' if not loop.last }}
        {%- else -%}
        delta_sums.{{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {% endfor -%}
    from delta_sums
    {% if is_incremental() -%}
    left join {{ this }} as existing on existing.cell_key = delta_sums.cell_key
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
        {% for measure in measures -%}
        cast({{ measure }} as {{ dbt.type_bigint() }}) as {{ measure }},
        {% endfor -%}
        -- read from the table, not the `log` CTE: a second reference would make
        -- DuckDB materialise the CTE, i.e. copy the whole log before filtering it
        (select coalesce(max(batch_id), 0) from {{ ref('int_event_state_log') }}) as _batch_id
    from updated
)

select * from final
