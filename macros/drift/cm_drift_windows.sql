{#-
  Drift windows: consecutive intervals of `drift_window_hours` hours, aligned on
  `drift_window_origin` (a UTC timestamp; the default is a Monday 00:00, so
  168-hour windows are ISO weeks). Everything here works on the `hour` column
  (event_time truncated to the hour), so a window is a whole number of hours.
-#}
{% macro cm_drift_window_hours() %}
    {%- set hours = cm_config('drift_window_hours') | int -%}
    {%- if hours < 1 -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_window_hours must be a positive number of hours, got " ~ cm_config('drift_window_hours')) }}
    {%- endif -%}
    {{ return(hours) }}
{% endmacro %}

{#- The start of the drift window holding an hour (a timestamp truncated to the hour). -#}
{% macro cm_drift_window_start(hour_expression) %}
    {{ return(adapter.dispatch('cm_drift_window_start', 'classifier_monitor')(hour_expression)) }}
{% endmacro %}

{% macro default__cm_drift_window_start(hour_expression) -%}
    {%- set size = cm_drift_window_hours() -%}
    {%- set origin = cm_timestamp_literal(cm_config('drift_window_origin') | string) -%}
    {{ dbt.dateadd('hour',
        'cast(floor(cast(' ~ dbt.datediff(origin, hour_expression, 'hour') ~ ' as ' ~ cm_type_double() ~ ') / ' ~ size ~ ') as ' ~ dbt.type_bigint() ~ ') * ' ~ size,
        origin) }}
{%- endmacro %}

{#- time_bucket does the same arithmetic natively and is cheaper per row. -#}
{% macro duckdb__cm_drift_window_start(hour_expression) -%}
    time_bucket(interval '{{ cm_drift_window_hours() }} hours', {{ hour_expression }}, {{ cm_timestamp_literal(cm_config('drift_window_origin') | string) }})
{%- endmacro %}

{#- The exclusive end of the window that starts at window_start. -#}
{% macro cm_drift_window_end(window_start_expression) -%}
    {{ dbt.dateadd('hour', cm_drift_window_hours(), window_start_expression) }}
{%- endmacro %}

{#- `windows` windows later (negative: earlier) than window_start. -#}
{% macro cm_drift_window_shift(window_start_expression, windows) -%}
    {{ dbt.dateadd('hour', (windows | int) * cm_drift_window_hours(), window_start_expression) }}
{%- endmacro %}

{#-
  model_version as it appears in the drift tables for a feature type, by
  `drift_pool_versions`:
    inputs (default)  features and labels are pooled over the versions of a model
                      (model_version 'all': what the model is fed does not
                      depend on its version), predictions stay per version
    true              everything pooled
    false             everything per version
-#}
{% macro cm_drift_model_version(version_expression, feature_type) -%}
    {%- set pool = cm_config('drift_pool_versions') | string | lower -%}
    {%- if pool not in ('inputs', 'true', 'false') -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_pool_versions must be inputs, true or false, got '" ~ pool ~ "'") }}
    {%- endif -%}
    {%- if pool == 'true' or (pool == 'inputs' and feature_type != 'prediction') -%}
        cast('all' as {{ dbt.type_string() }})
    {%- else -%}
        {{ version_expression }}
    {%- endif -%}
{%- endmacro %}

{#- The drift reference mode, validated: 'trailing' or 'fixed'. -#}
{% macro cm_drift_reference_mode() %}
    {%- set mode = cm_config('drift_reference_mode') | string | lower -%}
    {%- if mode not in ('trailing', 'fixed') -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_reference_mode must be 'trailing' or 'fixed', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- if mode == 'fixed' and (cm_config('drift_reference_start') is none or cm_config('drift_reference_end') is none) -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_reference_mode 'fixed' needs drift_reference_start and drift_reference_end (UTC timestamps)") }}
    {%- endif -%}
    {%- if mode == 'trailing' and (cm_config('drift_reference_windows') | int) < 1 -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_reference_windows must be at least 1") }}
    {%- endif -%}
    {{ return(mode) }}
{% endmacro %}

{#-
  How far a trailing reference moves at a time, in windows: the windows of a
  block of `drift_reference_step` windows (aligned on drift_window_origin) share
  one reference, the drift_reference_windows windows before the block. 1 makes
  the reference slide with every window; the default (null) is
  drift_reference_windows, so e.g. the days of a week share the previous week.
-#}
{% macro cm_drift_reference_step() %}
    {%- set step = cm_config('drift_reference_step') -%}
    {%- set step = (cm_config('drift_reference_windows') | int) if step is none else (step | int) -%}
    {%- if step < 1 -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_reference_step must be at least 1") }}
    {%- endif -%}
    {{ return(step) }}
{% endmacro %}

{#- The number of windows before a window that its trailing reference can reach. -#}
{% macro cm_drift_reference_reach() %}
    {{ return((cm_config('drift_reference_windows') | int) + cm_drift_reference_step() - 1) }}
{% endmacro %}

{#-
  The key of the reference of the window starting at current_window: windows
  with the same key share their reference. Trailing: the start of the window's
  block; fixed: one key for every window.
-#}
{% macro cm_drift_reference_key(current_window) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
        {%- set step = cm_drift_reference_step() -%}
        {%- if step == 1 -%}
            {{ current_window }}
        {%- else -%}
            {{ cm_drift_block_start(current_window, step) }}
        {%- endif -%}
    {%- else -%}
        {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }}
    {%- endif -%}
{%- endmacro %}

{#- The start of the block of `windows` windows holding a window start. -#}
{% macro cm_drift_block_start(window_expression, windows) %}
    {{ return(adapter.dispatch('cm_drift_block_start', 'classifier_monitor')(window_expression, windows)) }}
{% endmacro %}

{% macro default__cm_drift_block_start(window_expression, windows) -%}
    {%- set size = cm_drift_window_hours() * (windows | int) -%}
    {%- set origin = cm_timestamp_literal(cm_config('drift_window_origin') | string) -%}
    {{ dbt.dateadd('hour',
        'cast(floor(cast(' ~ dbt.datediff(origin, window_expression, 'hour') ~ ' as ' ~ cm_type_double() ~ ') / ' ~ size ~ ') as ' ~ dbt.type_bigint() ~ ') * ' ~ size,
        origin) }}
{%- endmacro %}

{% macro duckdb__cm_drift_block_start(window_expression, windows) -%}
    time_bucket(interval '{{ cm_drift_window_hours() * (windows | int) }} hours', {{ window_expression }}, {{ cm_timestamp_literal(cm_config('drift_window_origin') | string) }})
{%- endmacro %}

{#-
  A predicate: is the window starting at `reference_window` part of the
  reference of the window starting at `current_window`?
    trailing: one of the drift_reference_windows windows before the current
              window's reference key (its block start);
    fixed:    a window lying entirely inside [drift_reference_start, drift_reference_end).
-#}
{% macro cm_drift_in_reference(reference_window, current_window) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
        ({{ reference_window }} >= {{ cm_drift_reference_start(current_window) }}
            and {{ reference_window }} < {{ cm_drift_reference_end(current_window) }})
    {%- else -%}
        {{ cm_drift_in_fixed_reference(reference_window) }}
    {%- endif -%}
{%- endmacro %}

{% macro cm_drift_in_fixed_reference(reference_window) -%}
    ({{ reference_window }} >= {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }}
        and {{ cm_drift_window_end(reference_window) }} <= {{ cm_timestamp_literal(cm_config('drift_reference_end') | string) }})
{%- endmacro %}

{#- The reported reference bounds of the window starting at current_window. -#}
{% macro cm_drift_reference_start(current_window) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
        {{ cm_drift_window_shift(cm_drift_reference_key(current_window), -(cm_config('drift_reference_windows') | int)) }}
    {%- else -%}
        {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }}
    {%- endif -%}
{%- endmacro %}

{% macro cm_drift_reference_end(current_window) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
        {{ cm_drift_reference_key(current_window) }}
    {%- else -%}
        {{ cm_timestamp_literal(cm_config('drift_reference_end') | string) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Is the window starting at window_expression needed to recompute the windows
  listed in the CTE `recompute` (column window_start): one of them, or part of
  the reference of one of them. Lets models read only the windows they need.
-#}
{% macro cm_drift_is_needed_window(window_expression, recompute) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
    {{ window_expression }} in (
        select window_start from {{ recompute }}
        {% for shift in range(1, cm_drift_reference_reach() + 1) -%}
        union all
        select {{ cm_drift_window_shift('window_start', -shift) }} from {{ recompute }}
        {% endfor -%}
    )
    {%- else -%}
    ({{ window_expression }} in (select window_start from {{ recompute }})
        or {{ cm_drift_in_fixed_reference(window_expression) }})
    {%- endif -%}
{%- endmacro %}

{#- The earliest hour a needed window can start at (a cheap range predicate for scans). -#}
{% macro cm_drift_needed_from(recompute) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
    (select {{ cm_drift_window_shift('min(window_start)', -cm_drift_reference_reach()) }} from {{ recompute }})
    {%- else -%}
    (select case when min(window_start) < {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }}
        then min(window_start) else {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }} end
     from {{ recompute }})
    {%- endif -%}
{%- endmacro %}
