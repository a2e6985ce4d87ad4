{#-
  The two samples of every numeric comparison: one row per window x model x
  version x slice x feature with current rows, with both sample sizes, missing
  values, means and standard deviations, and the reference bounds. Moments come
  from the bucket histograms: per bucket from the offsets to the bucket base,
  then per window and per reference with Chan et al.'s parallel formula
  (combine counts, means and sums of squared deviations), free of cancellation.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_windows',
        drift_kinds=['features'],
        on_schema_change='fail'
    )
}}

{%- set group_columns = ['model_name', 'model_version', 'slice_name', 'slice_value', 'feature'] -%}

{#- The cells of the recomputed windows and of their reference windows (all
    this run reads) with each bucket's mean and sum of squared deviations,
    inlined where used: a CTE used twice would hold a copy of them. -#}
{%- set bucket_moments -%}
    (
        select
            needed_cells.*,
            case when bucket is not null then {{ cm_drift_base_of_bucket('bucket') }} + offset_sum / n end as mean,
            case when bucket is null then null
                when offset_square_sum - offset_sum * offset_sum / n > 0
                then offset_square_sum - offset_sum * offset_sum / n else 0 end as m2
        from (
            select window_start, group_key, bucket, n, offset_sum, offset_square_sum
            from {{ ref('int_drift_numeric_cells') }}
            {% if is_incremental() -%}
            -- only these on an incremental run; a full build reads every window
            where window_start >= {{ cm_drift_needed_from('recompute') }}
                and {{ cm_drift_is_needed_window('window_start', 'recompute') }}
            {%- endif %}
        ) as needed_cells
    )
{%- endset %}

with

recompute as (
    {{ cm_drift_feature_windows(ref('int_drift_numeric_cells')) }}
),

-- the names of the compared distributions (the histograms carry only their key)
distinct_values as (
    {{ cm_drift_distinct_values(cm_drift_recomputed_rows_filter()) }}
),

distributions as (
    {{ cm_drift_numeric_groups() }}
),

-- per window and distribution, in one pass: its sizes and mean
window_sizes as (
    select
        window_start,
        group_key,
        sum(n) as n_rows,
        coalesce(sum(case when bucket is null then n end), 0) as n_missing,
        sum(case when bucket is not null then n end) as n_values,
        sum(n * mean) / sum(case when bucket is not null then n end) as mean
    from {{ bucket_moments }} as bucket_moments
    group by window_start, group_key
),

-- Chan et al.: the sum of squared deviations of a window from its buckets'
window_moments as (
    select
        window_sizes.window_start,
        window_sizes.group_key,
        window_sizes.n_values as n,
        window_sizes.mean,
        sum(bucket_moments.m2 + bucket_moments.n * (bucket_moments.mean - window_sizes.mean) * (bucket_moments.mean - window_sizes.mean)) as m2,
        sqrt(sum(bucket_moments.m2 + bucket_moments.n * (bucket_moments.mean - window_sizes.mean) * (bucket_moments.mean - window_sizes.mean))
            / window_sizes.n_values) as std
    from window_sizes
    inner join {{ bucket_moments }} as bucket_moments
        on bucket_moments.window_start = window_sizes.window_start and bucket_moments.group_key = window_sizes.group_key
    where bucket_moments.bucket is not null
    group by window_sizes.window_start, window_sizes.group_key, window_sizes.n_values, window_sizes.mean
),

compared as (
    select
        window_sizes.window_start,
        {% for column in group_columns -%}
        distributions.{{ column }},
        {% endfor -%}
        distributions.feature_type,
        window_sizes.group_key,
        {{ cm_drift_reference_key('window_sizes.window_start') }} as reference_key
    from window_sizes
    inner join distributions on distributions.group_key = window_sizes.group_key
    where window_sizes.window_start in (select window_start from recompute)
),

reference_windows as (
    {{ cm_drift_reference_windows('compared', 'window_sizes') }}
),

reference_window_moments as (
    select reference_windows.reference_key, window_moments.group_key, window_moments.n, window_moments.mean, window_moments.m2
    from reference_windows
    inner join window_moments on window_moments.window_start = reference_windows.source_window
),

{{ cm_drift_chan_moments('reference_means', 'reference_moments', 'reference_window_moments', ['reference_key', 'group_key']) }},

reference_sizes as (
    select reference_windows.reference_key, window_sizes.group_key,
        sum(window_sizes.n_rows) as n_rows, sum(window_sizes.n_missing) as n_missing
    from reference_windows
    inner join window_sizes on window_sizes.window_start = reference_windows.source_window
    group by reference_windows.reference_key, window_sizes.group_key
)

select
    compared.window_start,
    {{ cm_drift_window_end('compared.window_start') }} as window_end,
    {% for column in group_columns -%}
    compared.{{ column }},
    {% endfor -%}
    compared.feature_type,
    compared.group_key,
    compared.reference_key,
    {{ cm_drift_reference_start('compared.window_start') }} as reference_start,
    {{ cm_drift_reference_end('compared.window_start') }} as reference_end,
    cast(coalesce(reference_sizes.n_rows, 0) as {{ dbt.type_bigint() }}) as n_reference,
    cast(current_sizes.n_rows as {{ dbt.type_bigint() }}) as n_current,
    cast(coalesce(reference_sizes.n_missing, 0) as {{ dbt.type_bigint() }}) as n_reference_missing,
    cast(current_sizes.n_missing as {{ dbt.type_bigint() }}) as n_current_missing,
    cast(reference_moments.mean as {{ cm_type_double() }}) as reference_mean,
    cast(reference_moments.std as {{ cm_type_double() }}) as reference_std,
    cast(current_moments.mean as {{ cm_type_double() }}) as current_mean,
    cast(current_moments.std as {{ cm_type_double() }}) as current_std,
    {{ cm_drift_log_batch() }} as _window_batch
from compared
inner join window_sizes as current_sizes
    on current_sizes.window_start = compared.window_start and current_sizes.group_key = compared.group_key
left join reference_sizes
    on reference_sizes.reference_key = compared.reference_key and reference_sizes.group_key = compared.group_key
left join window_moments as current_moments
    on current_moments.window_start = compared.window_start and current_moments.group_key = compared.group_key
left join reference_moments
    on reference_moments.reference_key = compared.reference_key and reference_moments.group_key = compared.group_key
