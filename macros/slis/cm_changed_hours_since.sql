{#-
  Which hours an SLI model must recompute, from the root causes of change
  rather than from what its upstream tables wrote (an hour whose events all
  moved away leaves no upstream row behind, but must still be cleared):

    inference_rows  hours of staged inference rows (re)written since the
                    target's `_staged_through`: new, retried, displaced or
                    re-admitted inferences (all rows of a touched event_id are
                    rewritten, so both the old and the new hour of a moved
                    event are seen)
    state_log       hours (and replaced hours) of event-state log rows newer
                    than the target's `_batch_id`: labels, corrections; all
                    hours if the log restarted its batch ids
    maturity        hours whose label maturity flipped because the data's
                    as-of instant moved (cm_data_as_of) since the target's `_as_of`
    + the backfill window (vars backfill_start / backfill_end)

  Watermarks are read once and inlined as literals, so scans of the staging
  table and the log are pruned by them instead of read in full.
-#}
{% macro cm_changed_hours_since(target, inference_rows=true, state_log=true, maturity=true) %}
    {%- set positions = cm_sli_positions(target) -%}
    {%- set stg_rows = ref('stg_inference_rows') -%}
    {%- set log = ref('int_event_state_log') -%}
    {%- set parts = [] -%}
    {%- if inference_rows -%}
        {%- do parts.append("select hour from " ~ stg_rows ~ " where hour is not null and _staged_at > "
                            ~ cm_timestamp_literal(positions['staged_through'] or '1900-01-01 00:00:00')) -%}
    {%- endif -%}
    {%- if state_log -%}
        {%- if positions['logged_batch'] < positions['batch_id'] -%}
            {%- do parts.append("select hour from " ~ log) -%}
        {%- else -%}
            {%- do parts.append("select hour from " ~ log ~ " where batch_id > " ~ positions['batch_id']) -%}
            {%- do parts.append("select prev_hour from " ~ log ~ " where has_prev and batch_id > " ~ positions['batch_id']) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set old, new = positions['as_of'], positions['data_as_of'] -%}
    {%- if maturity and old is not none and new is not none and old != new -%}
        {%- set lag = -(cm_config('label_delay_sla_hours') | int) - 1 -%}
        {%- set bounds = [old, new] | sort -%}
        {%- do parts.append("select hour from " ~ log
            ~ " where hour > " ~ dbt.dateadd('hour', lag, cm_timestamp_literal(bounds[0]))
            ~ " and hour <= " ~ dbt.dateadd('hour', lag, cm_timestamp_literal(bounds[1]))) -%}
    {%- endif -%}
    {%- set backfill = cm_backfill_predicate('hour') -%}
    {%- if backfill -%}
        {%- do parts.append("select hour from " ~ stg_rows ~ " where " ~ backfill) -%}
    {%- endif -%}
    {%- if parts | length == 0 -%}
        {%- do parts.append("select cast(null as " ~ dbt.type_timestamp() ~ ") as hour where 1 = 0") -%}
    {%- endif -%}
    {{ return(parts | join('\n    union\n    ')) }}
{% endmacro %}

{#-
  In one query: the bookkeeping columns the target wrote last (staged_through,
  batch_id, as_of), the state log's newest batch (logged_batch) and the data's
  as-of instant now (data_as_of).
-#}
{% macro cm_sli_positions(target) %}
    {%- set positions = {'staged_through': none, 'batch_id': 0, 'as_of': none, 'logged_batch': 0, 'data_as_of': none} -%}
    {%- if execute -%}
        {%- set row = run_query(
            "select (select max(_staged_through) from " ~ target ~ "), "
            ~ "(select coalesce(max(_batch_id), 0) from " ~ target ~ "), "
            ~ "(select max(_as_of) from " ~ target ~ "), "
            ~ "(select coalesce(max(batch_id), 0) from " ~ ref('int_event_state_log') ~ "), "
            ~ cm_data_as_of()).rows[0] -%}
        {%- do positions.update({'staged_through': row[0], 'batch_id': row[1], 'as_of': row[2],
                                 'logged_batch': row[3], 'data_as_of': row[4]}) -%}
    {%- endif -%}
    {{ return(positions) }}
{% endmacro %}

{#-
  The instant the data is complete up to: the newest ingested_at of any staged
  inference or label row. Label maturity is measured against it, not against
  the wall clock, so a rebuild on the same data gives the same flags. Every raw
  row stays in staging whatever its status, so this never moves backwards,
  which is what lets `_as_of` serve as a watermark.
-#}
{% macro cm_data_as_of() -%}
    (
        select max(ingested_at) from (
            select {{ cm_newest_value(ref('stg_inference_rows'), 'ingested_at') }} as ingested_at
            union all
            select {{ cm_newest_value(ref('stg_label_rows'), 'ingested_at') }} as ingested_at
        ) as newest
    )
{%- endmacro %}

{#- When the labels of a period that starts at `period_start` and lasts `period_hours` have matured. -#}
{% macro cm_labels_mature_at(period_start, period_hours=1) -%}
    {{ dbt.dateadd('hour', (cm_config('label_delay_sla_hours') | int) + period_hours, period_start) }}
{%- endmacro %}

{#- The staging and log watermarks a run consumed, written on every row it writes. -#}
{% macro cm_sli_bookkeeping_columns() -%}
    {{ cm_newest_value(ref('stg_inference_rows'), '_staged_at') }} as _staged_through,
    (select coalesce(max(batch_id), 0) from {{ ref('int_event_state_log') }}) as _batch_id,
    {{ cm_data_as_of() }} as _as_of
{%- endmacro %}
