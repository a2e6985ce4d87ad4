{#-
  The features the drift models compare, as dicts {name, type}:
  numeric: the `numeric_features` plus predicted_score (type 'prediction');
  categorical: the `categorical_features` (predicted_class and the label come
  from int_prediction_counts_hourly, see int_drift_categorical_comparison).
-#}
{% macro cm_drift_numeric_features() %}
    {%- set features = [] -%}
    {%- for name in cm_config('numeric_features') -%}
        {%- do features.append({'name': name, 'type': 'numeric'}) -%}
    {%- endfor -%}
    {%- do features.append({'name': 'predicted_score', 'type': 'prediction'}) -%}
    {{ return(features) }}
{% endmacro %}

{% macro cm_drift_categorical_features() %}
    {%- set features = [] -%}
    {%- for name in cm_config('categorical_features') -%}
        {%- do features.append({'name': name, 'type': 'categorical'}) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}

{#- The key of one compared distribution: window, model, version, slice, feature. -#}
{% macro cm_drift_group_keys() %}
    {{ return(['window_start', 'model_name', 'model_version', 'slice_name', 'slice_value', 'feature']) }}
{% endmacro %}

{#- Equality of two relations on a list of columns, for join conditions. -#}
{% macro cm_drift_join_on(left, right, columns) -%}
    {%- for column in columns -%}
    {{ left }}.{{ column }} = {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- The compared distribution's key inside the numeric drift models: a hash of
    model_name, model_version, slice_name, slice_value and feature (joins on one
    integer instead of five strings). -#}
{% macro cm_drift_group_key(model_name, model_version, slice_name, slice_value, feature) -%}
    {{ cm_row_hash([model_name, model_version, slice_name, slice_value, feature]) }}
{%- endmacro %}

{#- The windows to recompute in a numeric drift model: the logged ones on an
    incremental run, every window of `source` on a full build. -#}
{% macro cm_drift_feature_windows(source) -%}
    {%- if is_incremental() -%}
    select window_start from ({{ cm_drift_recompute_windows(this, ['features']) }}) as logged
    {%- else -%}
    select distinct window_start from {{ source }}
    {%- endif -%}
{%- endmacro %}

{#- reference_key -> source window pairs for the reference keys of `compared`
    (a CTE with a reference_key column). -#}
{% macro cm_drift_reference_windows(compared, windows) -%}
    {%- if cm_drift_reference_mode() == 'trailing' -%}
    {% for shift in range(1, (cm_config('drift_reference_windows') | int) + 1) -%}
    select reference_key, {{ cm_drift_window_shift('reference_key', -shift) }} as source_window
    from (select distinct reference_key from {{ compared }}) as keys
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {%- else -%}
    select distinct keys.reference_key, sources.window_start as source_window
    from (select distinct reference_key from {{ compared }}) as keys
    cross join (select distinct window_start from {{ windows }}) as sources
    where {{ cm_drift_in_fixed_reference('sources.window_start') }}
    {%- endif -%}
{%- endmacro %}

{#-
  Two CTEs combining parts (rows of `parts` with n, mean, m2 = sum of squared
  deviations from the part's mean) into one sample per `keys` (Chan et al.):
    <means_name>:   keys, n, mean
    <moments_name>: keys, n, mean, m2, std (population, ddof 0)
  Emitted as `means_name as (...), moments_name as (...)` inside a WITH list.
-#}
{% macro cm_drift_chan_moments(means_name, moments_name, parts, keys) -%}
{{ means_name }} as (
    select {{ keys | join(', ') }}, sum(n) as n, sum(n * mean) / sum(n) as mean
    from {{ parts }}
    group by {{ keys | join(', ') }}
),

{{ moments_name }} as (
    select
        {% for key in keys -%}
        {{ means_name }}.{{ key }},
        {% endfor -%}
        {{ means_name }}.n,
        {{ means_name }}.mean,
        sum({{ parts }}.m2 + {{ parts }}.n * ({{ parts }}.mean - {{ means_name }}.mean) * ({{ parts }}.mean - {{ means_name }}.mean)) as m2,
        sqrt(sum({{ parts }}.m2 + {{ parts }}.n * ({{ parts }}.mean - {{ means_name }}.mean) * ({{ parts }}.mean - {{ means_name }}.mean))
            / {{ means_name }}.n) as std
    from {{ means_name }}
    inner join {{ parts }}
        on {% for key in keys %}{{ parts }}.{{ key }} = {{ means_name }}.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    group by {% for key in keys %}{{ means_name }}.{{ key }}, {% endfor %}{{ means_name }}.n, {{ means_name }}.mean
)
{%- endmacro %}

{#- On an incremental run, a where clause keeping the inferences (a relation
    with an `hour` column) of the windows in the CTE `recompute`; on a full
    build nothing. The range predicate lets the scan skip old row groups. -#}
{% macro cm_drift_recomputed_rows_filter() -%}
    {%- if is_incremental() -%}
    where hour >= (select min(window_start) from recompute)
        and {{ cm_drift_window_start('hour') }} in (select window_start from recompute)
    {%- endif -%}
{%- endmacro %}
