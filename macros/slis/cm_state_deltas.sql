{#-
  Building blocks of the delta-maintained SLI sums (int_label_sums_hourly), the
  same scheme as int_prediction_counts_hourly: every state-log row adds its new
  state (+1) and takes back the state it replaced (-1); over any run of log rows
  this telescopes to one +1 per event's current state.
-#}

{#- Log rows as signed states: the state columns plus `delta`. -#}
{% macro cm_signed_states(log_rows) -%}
    {%- set state = cm_state_columns() -%}
    select {{ state | join(', ') }}, 1 as delta
    from {{ log_rows }}
    union all
    select
        {% for column in state -%}
        prev_{{ column }} as {{ column }},
        {% endfor -%}
        -1 as delta
    from {{ log_rows }}
    where has_prev
{%- endmacro %}

{#-
  The newest state-log batch the target has applied (its delta watermark), in
  one query with a check: if the log restarted its batch ids (it was rebuilt
  without its consumers), stop with a clear message, because applying its rows
  again would count events twice.
-#}
{% macro cm_applied_log_batch(target, log) %}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set row = run_query("select (select coalesce(max(_batch_id), 0) from " ~ target ~ "), "
                            ~ "(select coalesce(max(batch_id), 0) from " ~ log ~ ")").rows[0] -%}
    {%- if row[1] < row[0] -%}
        {{ exceptions.raise_compiler_error(
            target.identifier ~ " has applied state-log batch " ~ row[0]
            ~ " but int_event_state_log only holds batches up to " ~ row[1]
            ~ ": the log was rebuilt without its consumers. Run `dbt build --full-refresh --select int_event_state_log+`."
        ) }}
    {%- endif -%}
    {{ return(row[0]) }}
{% endmacro %}

{#- The confidence bin (0-9) of a score in micro-units: [b/10, (b+1)/10), with 1.0 in bin 9. -#}
{% macro cm_confidence_bin(score_micro) -%}
    case
        when {{ score_micro }} is null then null
        when {{ score_micro }} >= 1000000 then 9
        else cast(floor({{ score_micro }} / 100000.0) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{#-
  Signed states (state columns + delta) of labeled events, as terms of the
  label sums, once per histogram: 'confidence' (bucket = confidence bin, null
  without a predicted_score) and 'label_delay' (bucket = label-delay bucket).
  Both histograms partition the same labeled events, so each sums to the same
  totals; the measures are signed, so +1/-1 states add and cancel exactly.
-#}
{% macro cm_label_sum_terms(signed_states) -%}
    {%- set slices = cm_config('slice_columns') -%}
    {%- for histogram, bucket in [('confidence', cm_confidence_bin('score_micro')), ('label_delay', 'label_delay_bucket')] %}
    select
        hour,
        model_name,
        model_version,
        {% for column in slices -%}
        {{ column }},
        {% endfor -%}
        '{{ histogram }}' as histogram,
        {{ bucket }} as bucket,
        delta as n_labeled,
        case when predicted_class = actual_class then delta else 0 end as n_correct,
        case when score_micro is not null then delta else 0 end as n_scored,
        delta * coalesce(score_micro, 0) as score_sum_micro,
        case when brier_e9 is not null then delta else 0 end as n_brier,
        delta * coalesce(brier_e9, 0) as brier_sum_e9
    from {{ signed_states }}
    where actual_class is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
