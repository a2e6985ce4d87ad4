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
  How a state column is computed from an accepted inference and its applied
  label (null when not labeled yet):
    score_micro         predicted_score in units of 1e-6 (the confidence the SLIs sum)
    brier_e9            the event's multiclass Brier term sum_k (p_k - y_k)^2 in units of 1e-9
    label_delay_bucket  log bucket of labeled_at - event_time in seconds
-#}
{% macro cm_state_column_expression(column, inferences, labels) %}
    {%- if column == 'actual_class' -%}
        {{ return(labels ~ '.label') }}
    {%- elif column == 'score_micro' -%}
        {{ return('cast(round(' ~ inferences ~ '.predicted_score * 1000000) as ' ~ dbt.type_bigint() ~ ')') }}
    {%- elif column == 'brier_e9' -%}
        {{ return('case when ' ~ labels ~ '.label is not null then '
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
