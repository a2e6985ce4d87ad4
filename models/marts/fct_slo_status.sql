{#-
  SLO status per SLO x model x slice x evaluation hour (an hour in which the
  slice had events for the SLO): the hour's SLI, the SLI and error budget over
  the compliance window, burn rates over the burn-rate windows, and the alert
  state of the multiwindow, multi-burn-rate rules (var slo_alert_rules).

  Windows end at the evaluation hour and include it: (h - w hours, h]. Burn
  rate = bad share / (1 - objective): 1 spends the budget exactly over the
  compliance window, 14.4 spends 2% of a 30-day budget in an hour. Window sums
  are window functions over an integer hour index (RANGE frames, so hours
  without events are gaps, not rows). An incremental run recomputes only the
  evaluation hours whose windows contain a changed hour. See docs/slis_and_slos.md.
-#}
-- depends_on: {{ ref('int_event_state_log') }}
-- depends_on: {{ ref('stg_inference_rows') }}
-- depends_on: {{ ref('stg_label_rows') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_where',
        replace_predicate='cm_slo_status_predicate',
        on_schema_change='fail'
    )
}}

{%- set slos = cm_slos() -%}
{%- set windows = cm_slo_burn_windows() -%}
{%- set rules = cm_slo_alert_rules() -%}
{%- set compliance_windows = slos | map(attribute='window_hours') | unique | list -%}
{%- set longest = cm_slo_longest_window_hours() -%}
{%- set min_events = cm_config('slo_alert_min_events') | int -%}
{%- set dbl = cm_type_double() -%}
{%- set big = dbt.type_bigint() -%}
{%- set over = 'partition by slo_name, model_name, slice_name, slice_value order by hour_index range between ' -%}

with

definitions as (
    {% for slo in slos -%}
    select
        '{{ slo.name }}' as slo_name,
        '{{ slo.sli }}' as sli,
        cast({{ slo.objective }} as {{ dbl }}) as objective,
        {{ slo.window_days }} as window_days,
        {{ slo.window_hours }} as window_hours,
        cast({{ 'null' if slo.threshold is none else slo.threshold }} as {{ dbl }}) as threshold,
        {{ cm_string_literal(slo.target_class) }} as target_class
    union all
    {% endfor -%}
    -- typed and empty: keeps the union valid whatever the SLO list holds
    select
        cast(null as {{ dbt.type_string() }}) as slo_name,
        cast(null as {{ dbt.type_string() }}) as sli,
        cast(null as {{ dbl }}) as objective,
        0 as window_days,
        0 as window_hours,
        cast(null as {{ dbl }}) as threshold,
        cast(null as {{ dbt.type_string() }}) as target_class
    where 1 = 0
),

{% if is_incremental() %}
evaluation_hours as (
    {{ cm_slo_evaluation_hours(this) }}
),
{% endif %}

-- the evaluation hours and everything their longest window reaches back to
events as (
    select
        slo_events.slo_name,
        slo_events.hour,
        slo_events.model_name,
        slo_events.slice_name,
        slo_events.slice_value,
        slo_events.good_events,
        slo_events.total_events,
        {{ dbt.datediff(cm_timestamp_literal('1970-01-01 00:00:00'), 'slo_events.hour', 'hour') }} as hour_index,
        definitions.sli,
        definitions.objective,
        definitions.window_days,
        definitions.window_hours,
        definitions.threshold,
        definitions.target_class
    from {{ ref('int_slo_events_hourly') }} as slo_events
    inner join definitions on definitions.slo_name = slo_events.slo_name
    {% if is_incremental() -%}
    where slo_events.hour > (select {{ dbt.dateadd('hour', -longest, 'min(hour)') }} from evaluation_hours)
        and slo_events.hour <= (select max(hour) from evaluation_hours)
    {%- endif %}
),

windowed as (
    select
        events.*,
        {% for window in windows -%}
        sum(good_events) over ({{ over }}{{ window - 1 }} preceding and current row) as good_{{ window }}h,
        sum(total_events) over ({{ over }}{{ window - 1 }} preceding and current row) as total_{{ window }}h,
        {% endfor -%}
        {% for measure in ['good_events', 'total_events'] -%}
        {% if compliance_windows -%}
        case
            {% for window in compliance_windows -%}
            when window_hours = {{ window }} then sum({{ measure }}) over ({{ over }}{{ window - 1 }} preceding and current row)
            {% endfor -%}
        end
        {%- else -%}
        cast(null as {{ big }})
        {%- endif %} as window_{{ measure }}{{ ',' if not loop.last }}
        {% endfor -%}
    from events
),

rated as (
    select
        windowed.*,
        {% for window in windows -%}
        case
            when total_{{ window }}h > 0
            then cast(total_{{ window }}h - good_{{ window }}h as {{ dbl }}) / total_{{ window }}h / (1 - objective)
        end as burn_rate_{{ window }}h{{ ',' if not loop.last }}
        {% endfor -%}
    from windowed
),

-- the first rule that fires; page rules come first
alerting as (
    select
        rated.*,
        case
            {% for rule in rules -%}
            when burn_rate_{{ rule.long }}h >= {{ rule.burn_rate }}
                and burn_rate_{{ rule.short }}h >= {{ rule.burn_rate }}
                and total_{{ rule.long }}h >= {{ min_events }}
            then '{{ rule.label }}'
            {% endfor -%}
            else cast(null as {{ dbt.type_string() }})
        end as alert_rule
    from rated
),

final as (
    select
        slo_name,
        sli,
        hour,
        model_name,
        slice_name,
        slice_value,
        objective,
        window_days,
        threshold,
        target_class,
        cast(good_events as {{ big }}) as hour_good_events,
        cast(total_events as {{ big }}) as hour_total_events,
        {{ cm_safe_divide('good_events', 'total_events') }} as hour_sli_value,
        cast(window_good_events as {{ big }}) as good_events,
        cast(window_total_events as {{ big }}) as total_events,
        {{ cm_safe_divide('window_good_events', 'window_total_events') }} as sli_value,
        (1 - objective) * window_total_events as error_budget_total,
        cast(window_total_events - window_good_events as {{ big }}) as error_budget_consumed,
        (1 - objective) * window_total_events - (window_total_events - window_good_events) as error_budget_left,
        1 - {{ cm_safe_divide('window_total_events - window_good_events', '(1 - objective) * window_total_events') }}
            as error_budget_left_ratio,
        {% for window in windows -%}
        burn_rate_{{ window }}h,
        {% endfor -%}
        case
            when alert_rule like 'page%' then 'page'
            when alert_rule like 'ticket%' then 'ticket'
            else 'ok'
        end as alert_state,
        alert_rule,
        {{ cm_sli_bookkeeping_columns() }}
    from alerting
    {% if is_incremental() -%}
    where hour in (select hour from evaluation_hours)
    {%- endif %}
)

select * from final
