{#-
  An append-only log of the drift windows whose statistics may have changed:
  one row per run x window x kind.
    kind 'features'  accepted inferences of the window changed (feature and
                     prediction drift), seen as staged rows rewritten since the
                     last run (stg_inference_rows._staged_at)
    kind 'labels'    the window's prediction counts changed (label drift), seen as
                     int_prediction_counts_hourly cells written by a newer batch
  A window is also logged, with own_inputs_changed = false, when its reference
  changed: the next drift_reference_windows windows in trailing mode, every
  window when a change touches the fixed reference. The backfill window
  (backfill_start / backfill_end) is always logged.

  Every drift model recomputes the windows logged after the batch it last
  applied (macros/drift/cm_drift_recompute.sql), so it never misses a change
  even if it skipped runs. A run with no changes appends nothing.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}

{%- set mode = cm_drift_reference_mode() -%}
{%- set backfill = cm_backfill_predicate('hour') -%}

with

counts as (
    select * from {{ ref('int_prediction_counts_hourly') }}
),

{% if is_incremental() %}
previous_run as (
    select
        coalesce(max(batch_id), 0) as batch_id,
        coalesce(max(_staged_through), {{ cm_timestamp_literal('1900-01-01 00:00:00') }}) as staged_through,
        coalesce(max(_counts_batch), 0) as counts_batch
    from {{ this }}
),

-- inferences re-staged since the last run, in any status: an event that left
-- 'accepted' changes its old window too
feature_hours as (
    select distinct hour from {{ ref('stg_inference_rows') }}
    where _staged_at > (select staged_through from previous_run) and hour is not null
),

label_hours as (
    select distinct hour from counts
    where _batch_id > (select counts_batch from previous_run)
),
{% else %}
previous_run as (
    select 0 as batch_id
),

feature_hours as (
    select distinct hour from counts
),

label_hours as (
    select distinct hour from counts
),
{% endif %}

backfill_hours as (
    {% if backfill -%}
    select distinct hour from counts where {{ backfill }}
    {%- else -%}
    select hour from counts where 1 = 0
    {%- endif %}
),

changed_windows as (
    select distinct {{ cm_drift_window_start('hour') }} as window_start, 'features' as kind
    from (select hour from feature_hours union select hour from backfill_hours) as hours
    union
    select distinct {{ cm_drift_window_start('hour') }} as window_start, 'labels' as kind
    from (select hour from label_hours union select hour from backfill_hours) as hours
),

{% if mode == 'trailing' %}
-- a trailing reference changes for the windows whose reference holds a changed window
later_windows as (
    select later.window_start, later.kind
    from (
        {% for shift in range(1, cm_drift_reference_reach() + 1) -%}
        select {{ cm_drift_window_shift('window_start', shift) }} as window_start, window_start as changed_window, kind
        from changed_windows
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as later
    where {{ cm_drift_in_reference('later.changed_window', 'later.window_start') }}
),
{% else %}
-- a fixed reference changes for every window at once
all_windows as (
    select distinct {{ cm_drift_window_start('hour') }} as window_start from counts
),

later_windows as (
    select all_windows.window_start, touched.kind
    from all_windows
    cross join (
        select distinct kind from changed_windows
        where {{ cm_drift_in_fixed_reference('window_start') }}
    ) as touched
),
{% endif %}

logged as (
    select window_start, kind, true as own_inputs_changed from changed_windows
    union all
    select window_start, kind, false as own_inputs_changed from later_windows
)

select
    cast((select batch_id from previous_run) + 1 as {{ dbt.type_bigint() }}) as batch_id,
    window_start,
    kind,
    {{ dbt.bool_or('own_inputs_changed') }} as own_inputs_changed,
    {{ cm_newest_value(ref('stg_inference_rows'), '_staged_at') }} as _staged_through,
    (select coalesce(max(_batch_id), 0) from counts) as _counts_batch
from logged
group by window_start, kind
