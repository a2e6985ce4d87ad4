{#-
  The SLOs declared in var `slos`, validated and normalised. Each becomes
    {name, sli, source, objective, window_days, window_hours, slices, threshold, target_class}
  where source says what the SLI is counted from: 'inference' (error_rate,
  latency_under_ms, freshness: final as soon as the inference is accepted) or
  'labels' (accuracy, class_recall, label_coverage: counted over matured hours
  only). A mistake in the declaration stops the build with a message that names
  the SLO, instead of producing a silently wrong status table.
-#}
{% macro cm_slos() %}
    {%- set sources = {
        'error_rate': 'inference', 'latency_under_ms': 'inference', 'freshness': 'inference',
        'accuracy': 'labels', 'class_recall': 'labels', 'label_coverage': 'labels'} -%}
    {%- set allowed_slices = ['all'] + cm_config('slice_columns') -%}
    {%- set declared = cm_config('slos') or [] -%}
    {%- set slos = [] -%}
    {%- set names = [] -%}
    {%- for slo in declared -%}
        {%- set name = slo.get('name') | string -%}
        {%- set where = "classifier_monitor: SLO '" ~ name ~ "' (var slos): " -%}
        {%- if not modules.re.match('^[A-Za-z0-9_]+$', name) -%}
            {{ exceptions.raise_compiler_error(where ~ "name must be letters, digits and underscores") }}
        {%- endif -%}
        {%- if name in names -%}
            {{ exceptions.raise_compiler_error(where ~ "declared twice") }}
        {%- endif -%}
        {%- do names.append(name) -%}
        {%- set sli = slo.get('sli') -%}
        {%- if sli not in sources -%}
            {{ exceptions.raise_compiler_error(where ~ "sli must be one of " ~ (sources.keys() | list | sort | join(', '))) }}
        {%- endif -%}
        {%- set objective = slo.get('objective') -%}
        {%- if objective is none or objective is string or not (0 < objective < 1) -%}
            {{ exceptions.raise_compiler_error(where ~ "objective must be a number strictly between 0 and 1, e.g. 0.995") }}
        {%- endif -%}
        {%- set window_days = slo.get('window_days', 28) -%}
        {%- if window_days is string or window_days is none or window_days < 1 or window_days != (window_days | int) -%}
            {{ exceptions.raise_compiler_error(where ~ "window_days must be a whole number of days >= 1") }}
        {%- endif -%}
        {%- set slices = slo.get('slices', ['all']) -%}
        {%- if slices is string -%}
            {%- set slices = slices.split(',') | map('trim') | reject('equalto', '') | list -%}
        {%- endif -%}
        {%- for slice in slices -%}
            {%- if slice not in allowed_slices -%}
                {{ exceptions.raise_compiler_error(where ~ "slice '" ~ slice ~ "' is not 'all' or one of var slice_columns") }}
            {%- endif -%}
        {%- endfor -%}
        {%- set threshold = none -%}
        {%- if sli in ('latency_under_ms', 'freshness') -%}
            {%- set threshold_key = 'threshold_ms' if sli == 'latency_under_ms' else 'threshold_minutes' -%}
            {%- set threshold = slo.get(threshold_key) -%}
            {%- if threshold is none or threshold is string or threshold <= 0 -%}
                {{ exceptions.raise_compiler_error(where ~ "sli " ~ sli ~ " needs a positive " ~ threshold_key) }}
            {%- endif -%}
        {%- endif -%}
        {%- set target_class = none -%}
        {%- if sli == 'class_recall' -%}
            {%- set target_class = slo.get('class') -%}
            {%- if target_class is none or (target_class | string | trim) == '' -%}
                {{ exceptions.raise_compiler_error(where ~ "sli class_recall needs a class") }}
            {%- endif -%}
            {%- set target_class = target_class | string -%}
        {%- endif -%}
        {%- do slos.append({
            'name': name, 'sli': sli, 'source': sources[sli], 'objective': objective,
            'window_days': window_days | int, 'window_hours': (window_days | int) * 24, 'slices': slices,
            'threshold': threshold, 'target_class': target_class}) -%}
    {%- endfor -%}
    {{ return(slos) }}
{% endmacro %}

{#- A SQL string literal. -#}
{% macro cm_string_literal(value) -%}
    {%- if value is none -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
