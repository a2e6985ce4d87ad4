{#-
  The state of one event that the hourly rollups depend on: where it is counted
  (hour, model, version, slices) and what it contributes (predicted and actual
  class for the counts; the integer-scaled score, Brier contribution and label
  delay bucket for the SLI sums). A change to any of these is logged by
  int_event_state_log, with the state it replaces in prev_* columns.

  The SLI parts are integers on purpose: consumers add and subtract them as
  +1/-1 deltas, and only integer sums telescope exactly (docs/slis_and_slos.md).
-#}
{% macro cm_state_columns() %}
    {{ return(['hour', 'model_name', 'model_version'] + cm_config('slice_columns')
              + ['predicted_class', 'actual_class', 'score_micro', 'brier_e9', 'label_delay_bucket']) }}
{% endmacro %}

{#- The SQL type of a state column, for the typed nulls of a first (full) build. -#}
{% macro cm_state_column_type(column) %}
    {%- if column == 'hour' -%}
        {{ return(dbt.type_timestamp()) }}
    {%- elif column in ('score_micro', 'brier_e9', 'label_delay_bucket') -%}
        {{ return(dbt.type_bigint()) }}
    {%- else -%}
        {{ return(dbt.type_string()) }}
    {%- endif -%}
{% endmacro %}

{#-
  What the state needs of an accepted inference (`relation`: stg_inference_events
  or rows of it), as int_event_state_log's `inferences`: the grouping columns
  (`inference_columns`) and event_time as they are, and
    score_micro          predicted_score in units of 1e-6 (the confidence the SLIs sum)
    _predicted_brier_e9  the Brier term the event gets if its label is its
                         predicted class (the common case)
    class_scores         for the Brier term of any other label
  The log carries event_time and _predicted_brier_e9 on its rows, so an event
  that only gets a label later needs its staged inference's class_scores only
  when the label is not the predicted class.
-#}
{% macro cm_inference_state_inputs(relation, inference_columns) -%}
    select
        event_id,
        _key_hash,
        event_time,
        {% for column in inference_columns -%}
        {{ column }},
        {% endfor -%}
        cast(round(predicted_score * 1000000) as {{ dbt.type_bigint() }}) as score_micro,
        {{ cm_brier_e9('class_scores', 'predicted_class') }} as _predicted_brier_e9,
        class_scores
    from {{ relation }}
{%- endmacro %}

{#-
  How a state column is computed from an inference's state inputs
  (cm_inference_state_inputs) and its applied label (null when not labeled yet):
    score_micro         as the inference gives it
    brier_e9            the event's multiclass Brier term sum_k (p_k - y_k)^2 in
                        units of 1e-9: the predicted class's term when the label is
                        the predicted class (the same expression over the same
                        scores), else computed from class_scores for the label
    label_delay_bucket  log bucket of labeled_at - event_time in seconds
-#}
{% macro cm_state_column_expression(column, inferences, labels) %}
    {%- if column == 'actual_class' -%}
        {{ return(labels ~ '.label') }}
    {%- elif column == 'score_micro' -%}
        {{ return(inferences ~ '.score_micro') }}
    {%- elif column == 'brier_e9' -%}
        {{ return('case when ' ~ labels ~ '.label = ' ~ inferences ~ '.predicted_class then ' ~ inferences ~ '._predicted_brier_e9'
                  ~ ' when ' ~ labels ~ '.label is not null then '
                  ~ cm_brier_e9(inferences ~ '.class_scores', labels ~ '.label') ~ ' end') }}
    {%- elif column == 'label_delay_bucket' -%}
        {{ return('case when ' ~ labels ~ '.label is not null then '
                  ~ cm_log_bucket(cm_seconds_between(inferences ~ '.event_time', labels ~ '.labeled_at'),
                                  cm_config('label_delay_histogram_floor_seconds'),
                                  cm_config('label_delay_histogram_growth')) ~ ' end') }}
    {%- else -%}
        {{ return(inferences ~ '.' ~ column) }}
    {%- endif -%}
{% endmacro %}
