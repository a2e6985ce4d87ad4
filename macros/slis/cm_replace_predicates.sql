{#-
  Predicates of the `replace_where` strategy (macros/strategies): the rows of
  the target that an incremental run deletes and recomputes. A model filters
  its inputs with the same predicate, so what it inserts is exactly what the
  delete cleared. The changed hours (days) are inlined as literals when the
  model executes (cm_in_timestamps), so the inputs are pruned by them.
-#}

{#- Hourly tables that depend on accepted inferences only. -#}
{% macro cm_inference_hours_predicate(target) %}
    {{ return(adapter.dispatch('cm_inference_hours_predicate', 'classifier_monitor')(target)) }}
{% endmacro %}

{% macro default__cm_inference_hours_predicate(target) -%}
    {{ cm_in_timestamps('hour', cm_changed_hours_since(target, inference_rows=true, state_log=false, maturity=false)) }}
{%- endmacro %}

{#- Hourly tables that combine inferences, labels and label maturity. -#}
{% macro cm_sli_hours_predicate(target) %}
    {{ return(adapter.dispatch('cm_sli_hours_predicate', 'classifier_monitor')(target)) }}
{% endmacro %}

{% macro default__cm_sli_hours_predicate(target) -%}
    {{ cm_in_timestamps('hour', cm_changed_hours_since(target)) }}
{%- endmacro %}

{#- Daily tables: every day that holds a changed hour. -#}
{% macro cm_sli_days_predicate(target) %}
    {{ return(adapter.dispatch('cm_sli_days_predicate', 'classifier_monitor')(target)) }}
{% endmacro %}

{% macro default__cm_sli_days_predicate(target) -%}
    {{ cm_in_timestamps('day', cm_sli_changed_days(target)) }}
{%- endmacro %}

{% macro cm_sli_changed_days(target) -%}
    select distinct {{ dbt.date_trunc('day', 'hour') }} from ({{ cm_changed_hours_since(target) }}) as changed
{%- endmacro %}

{#- SLO events: inference-based SLOs follow staged inferences, label-based ones the state log and maturity. -#}
{% macro cm_slo_events_predicate(target) %}
    {{ return(adapter.dispatch('cm_slo_events_predicate', 'classifier_monitor')(target)) }}
{% endmacro %}

{% macro default__cm_slo_events_predicate(target) -%}
    (
        (sli_source = 'inference' and {{ cm_in_timestamps('hour',
            cm_changed_hours_since(target, inference_rows=true, state_log=false, maturity=false)) }})
        or (sli_source = 'labels' and {{ cm_in_timestamps('hour',
            cm_changed_hours_since(target, inference_rows=false, state_log=true, maturity=true)) }})
    )
{%- endmacro %}

{#- SLO status: every evaluation hour whose windows contain a changed hour. -#}
{% macro cm_slo_status_predicate(target) %}
    {{ return(adapter.dispatch('cm_slo_status_predicate', 'classifier_monitor')(target)) }}
{% endmacro %}

{% macro default__cm_slo_status_predicate(target) -%}
    {{ cm_in_timestamps('hour', cm_slo_evaluation_hours(target)) }}
{%- endmacro %}

{#-
  The evaluation hours to recompute: an hour h is evaluated over windows
  (h - w, h], so a change at hour c reaches every evaluation hour in
  [c, c + longest window). Candidates are the hours that have SLO events or
  status rows; a set-based range join, not a loop over hours.
-#}
{% macro cm_slo_evaluation_hours(target) -%}
    {%- set longest = cm_slo_longest_window_hours() -%}
    select distinct candidates.hour
    from (
        select hour from {{ ref('int_slo_events_hourly') }}
        union
        select hour from {{ target }}
    ) as candidates
    inner join ({{ cm_changed_hours_since(target) }}) as changed
        on candidates.hour >= changed.hour
        and candidates.hour < {{ dbt.dateadd('hour', longest, 'changed.hour') }}
{%- endmacro %}
