{#-
  Good and total events of every configured SLO (var slos) per hour x model x
  slice (versions summed: an SLO covers the model, whichever version served).
  Only the slices an SLO declares are kept, and only rows with events.

    error_rate        good = not is_error                  total = accepted inferences
    latency_under_ms  good = latency_ms <= threshold_ms    total = inferences with a latency
    freshness         good = ingested within threshold_minutes of event_time
                                                           total = accepted inferences
    accuracy          good = correct                       total = labeled predictions
    class_recall      good = correct predictions of class  total = labeled as class
    label_coverage    good = labeled                       total = predictions
  The last three count matured hours only (cm_labels_mature_at), so a
  provisional hour never burns budget; rows appear when the hour matures.

  Inference-based rows are recounted per hour of newly staged inferences (exact
  thresholds need the raw latencies); label-based rows are recomputed per hour
  the state log or maturity changed, from the additive prediction counts.
-#}
-- depends_on: {{ ref('int_event_state_log') }}
-- depends_on: {{ ref('stg_inference_rows') }}
-- depends_on: {{ ref('stg_label_rows') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_where',
        replace_predicate='cm_slo_events_predicate',
        on_schema_change='fail'
    )
}}

{%- set slos = cm_slos() -%}
{%- set inference_slos = slos | selectattr('source', 'equalto', 'inference') | list -%}
{%- set label_slos = slos | selectattr('source', 'equalto', 'labels') | list -%}
{%- set slices = cm_config('slice_columns') -%}
{%- set big = dbt.type_bigint() -%}

with

{% if inference_slos %}
inferences as (
    select hour, model_name, {% for column in slices %}{{ column }}, {% endfor %}is_error, latency_ms, event_time, ingested_at
    from {{ ref('stg_inference_events') }}
    {% if is_incremental() -%}
    where hour in ({{ cm_changed_hours_since(this, inference_rows=true, state_log=false, maturity=false) }})
    {%- endif %}
),

{%- set measures = [] -%}
{%- for slo in inference_slos -%}
    {%- if slo.sli == 'error_rate' -%}
        {%- do measures.append('sum(case when is_error then 0 else 1 end) as good_' ~ loop.index) -%}
        {%- do measures.append('count(*) as total_' ~ loop.index) -%}
    {%- elif slo.sli == 'latency_under_ms' -%}
        {%- do measures.append('sum(case when latency_ms <= ' ~ slo.threshold ~ ' then 1 else 0 end) as good_' ~ loop.index) -%}
        {%- do measures.append('count(latency_ms) as total_' ~ loop.index) -%}
    {%- elif slo.sli == 'freshness' -%}
        {%- do measures.append('sum(case when ingested_at <= ' ~ dbt.dateadd('second', (slo.threshold * 60) | int, 'event_time')
                               ~ ' then 1 else 0 end) as good_' ~ loop.index) -%}
        {%- do measures.append('count(*) as total_' ~ loop.index) -%}
    {%- endif -%}
{%- endfor %}

inference_sums as (
    {{ cm_group_by_slices('inferences', ['hour', 'model_name'], measures) }}
),
{% endif %}

{% if label_slos %}
counts as (
    select * from {{ ref('int_prediction_counts_hourly') }}
    where {{ cm_labels_mature_at('hour') }} <= {{ cm_data_as_of() }}
    {%- if is_incremental() %}
        and hour in ({{ cm_changed_hours_since(this, inference_rows=false, state_log=true, maturity=true) }})
    {%- endif %}
),

label_sums as (
    select
        hour,
        model_name,
        slice_name,
        slice_value,
        {% for slo in label_slos -%}
        {% if slo.sli == 'accuracy' -%}
        sum(case when actual_class = predicted_class then n else 0 end) as good_{{ loop.index }},
        sum(case when actual_class is not null then n else 0 end) as total_{{ loop.index }}
        {%- elif slo.sli == 'class_recall' -%}
        sum(case when actual_class = {{ cm_string_literal(slo.target_class) }} and predicted_class = actual_class then n else 0 end) as good_{{ loop.index }},
        sum(case when actual_class = {{ cm_string_literal(slo.target_class) }} then n else 0 end) as total_{{ loop.index }}
        {%- elif slo.sli == 'label_coverage' -%}
        sum(case when actual_class is not null then n else 0 end) as good_{{ loop.index }},
        sum(n) as total_{{ loop.index }}
        {%- endif %}{{ ',' if not loop.last }}
        {% endfor -%}
    from counts
    group by hour, model_name, slice_name, slice_value
),
{% endif %}

slo_events as (
    {% for source, source_slos, relation in [('inference', inference_slos, 'inference_sums'), ('labels', label_slos, 'label_sums')] -%}
    {% for slo in source_slos -%}
    select
        '{{ slo.name }}' as slo_name,
        '{{ source }}' as sli_source,
        hour,
        model_name,
        slice_name,
        slice_value,
        good_{{ loop.index }} as good_events,
        total_{{ loop.index }} as total_events
    from {{ relation }}
    where slice_name in ({% for slice in slo.slices %}'{{ slice }}'{{ ', ' if not loop.last }}{% endfor %})
    union all
    {% endfor -%}
    {% endfor -%}
    -- typed and empty: keeps the union valid whatever the SLO list holds
    select
        cast(null as {{ dbt.type_string() }}) as slo_name,
        cast(null as {{ dbt.type_string() }}) as sli_source,
        cast(null as {{ dbt.type_timestamp() }}) as hour,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as slice_name,
        cast(null as {{ dbt.type_string() }}) as slice_value,
        cast(0 as {{ big }}) as good_events,
        cast(0 as {{ big }}) as total_events
    where 1 = 0
),

final as (
    select
        slo_name,
        sli_source,
        hour,
        model_name,
        slice_name,
        slice_value,
        cast(good_events as {{ big }}) as good_events,
        cast(total_events as {{ big }}) as total_events,
        {{ cm_sli_bookkeeping_columns() }}
    from slo_events
    where total_events > 0
)

select * from final
