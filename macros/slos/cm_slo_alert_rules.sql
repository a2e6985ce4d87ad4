{#-
  The burn-rate windows (var slo_burn_rate_windows_hours) and the alert rules
  (var slo_alert_rules), validated. A rule {severity, long_window_hours,
  short_window_hours, burn_rate} fires when the burn rate over both windows is
  at least burn_rate and the long window holds at least slo_alert_min_events
  events. Page rules come first, so the first rule that fires names the most
  severe state.
-#}
{% macro cm_slo_burn_windows() %}
    {%- set windows = cm_config('slo_burn_rate_windows_hours') or [] -%}
    {%- if windows is string -%}
        {%- set windows = windows.split(',') | map('trim') | reject('equalto', '') | map('int') | list -%}
    {%- endif -%}
    {%- for window in windows -%}
        {%- if window is string or window < 1 or window != (window | int) -%}
            {{ exceptions.raise_compiler_error("classifier_monitor: slo_burn_rate_windows_hours must hold whole numbers of hours >= 1") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(windows | map('int') | unique | sort | list) }}
{% endmacro %}

{% macro cm_slo_alert_rules() %}
    {%- set windows = cm_slo_burn_windows() -%}
    {%- set rules = [] -%}
    {%- for severity in ['page', 'ticket'] -%}
        {%- for rule in cm_config('slo_alert_rules') or [] if rule.get('severity') == severity -%}
            {%- for key in ['long_window_hours', 'short_window_hours'] -%}
                {%- if rule.get(key) not in windows -%}
                    {{ exceptions.raise_compiler_error("classifier_monitor: slo_alert_rules: " ~ key ~ " " ~ rule.get(key)
                        ~ " is not one of slo_burn_rate_windows_hours " ~ windows) }}
                {%- endif -%}
            {%- endfor -%}
            {%- if rule.get('burn_rate') is none or rule.get('burn_rate') is string or rule.get('burn_rate') <= 0 -%}
                {{ exceptions.raise_compiler_error("classifier_monitor: slo_alert_rules: burn_rate must be a positive number") }}
            {%- endif -%}
            {%- do rules.append({
                'severity': severity, 'long': rule['long_window_hours'] | int, 'short': rule['short_window_hours'] | int,
                'burn_rate': rule['burn_rate'],
                'label': severity ~ ': burn rate >= ' ~ rule['burn_rate'] ~ ' over ' ~ rule['long_window_hours'] ~ 'h and '
                         ~ rule['short_window_hours'] ~ 'h'}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for rule in cm_config('slo_alert_rules') or [] if rule.get('severity') not in ('page', 'ticket') -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: slo_alert_rules: severity must be page or ticket, not " ~ rule.get('severity')) }}
    {%- endfor -%}
    {{ return(rules) }}
{% endmacro %}

{#- The longest window any evaluation hour looks back over: a burn-rate window or a compliance window. -#}
{% macro cm_slo_longest_window_hours() %}
    {%- set hours = [1] + cm_slo_burn_windows() -%}
    {%- for slo in cm_slos() -%}{%- do hours.append(slo.window_hours) -%}{%- endfor -%}
    {{ return(hours | max) }}
{% endmacro %}
