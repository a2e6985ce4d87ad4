{#-
  The merged bucket histograms of every numeric comparison: one row per window
  x compared distribution (group_key) x bucket holding reference or current
  values, for distributions with reference values. Running counts give both
  ECDFs exactly at every bucket boundary (F before/after: reference, G:
  current), and per bucket:
    boundary_distance  |F - G| at the bucket's two ends (a lower bound of KS D)
    gap_area           integral of |F - G| from the previous bucket's last value
                       to this bucket's first one (both CDFs are flat there)
    bucket_area        integral of |F - G| over the bucket when F - G keeps its
                       sign across it (from counts and offset sums)
    is_candidate       the bucket's values must be read (int_drift_numeric_bins):
                       the KS supremum may hide inside (both samples have values
                       and max(F_after - G_before, G_after - F_before) reaches the
                       largest boundary distance), F - G may change sign inside,
                       or a PSI edge lies inside; a bucket holding a single value
                       is a point and never is one
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_windows',
        drift_kinds=['features'],
        on_schema_change='fail'
    )
}}

{%- set psi_bins = cm_config('drift_psi_bins') | int -%}
{%- if psi_bins < 2 -%}
    {{ exceptions.raise_compiler_error("classifier_monitor: drift_psi_bins must be at least 2") }}
{%- endif -%}
{%- set dbl = cm_type_double() -%}
{%- set big = dbt.type_bigint() -%}

with

cells as (
    select * from {{ ref('int_drift_numeric_cells') }}
),

samples as (
    select * from {{ ref('int_drift_numeric_samples') }}
),

recompute as (
    {{ cm_drift_feature_windows('cells') }}
),

-- the compared distributions with reference values, and their sample sizes
-- without missing values: n (reference), m (current)
compared as (
    select window_start, group_key, reference_key,
        n_reference - n_reference_missing as n_values,
        n_current - n_current_missing as m_values
    from samples
    where window_start in (select window_start from recompute)
        and n_reference > n_reference_missing
),

-- the recomputed windows and their reference windows: all this run reads
keyed_cells as (
    select
        window_start,
        {{ cm_drift_group_key('model_name', 'model_version', 'slice_name', 'slice_value', 'feature') }} as group_key,
        bucket, n, offset_sum, value_min, value_max
    from cells
    where window_start >= {{ cm_drift_needed_from('recompute') }}
        and {{ cm_drift_is_needed_window('window_start', 'recompute') }}
        and bucket is not null
),

reference_windows as (
    {{ cm_drift_reference_windows('compared', 'keyed_cells') }}
),

-- each reference's histogram, summed once per reference (shared by the windows of a block)
reference_cells as (
    select
        reference_windows.reference_key,
        keyed_cells.group_key,
        keyed_cells.bucket,
        sum(keyed_cells.n) as n,
        sum(keyed_cells.offset_sum) as offset_sum,
        min(keyed_cells.value_min) as value_min,
        max(keyed_cells.value_max) as value_max
    from reference_windows
    inner join keyed_cells on keyed_cells.window_start = reference_windows.source_window
    inner join (select distinct reference_key, group_key from compared) as referenced
        on referenced.reference_key = reference_windows.reference_key and referenced.group_key = keyed_cells.group_key
    group by reference_windows.reference_key, keyed_cells.group_key, keyed_cells.bucket
),

current_cells as (
    select keyed_cells.*
    from keyed_cells
    inner join compared on compared.window_start = keyed_cells.window_start and compared.group_key = keyed_cells.group_key
),

window_reference_cells as (
    select compared.window_start, reference_cells.*
    from compared
    inner join reference_cells
        on reference_cells.reference_key = compared.reference_key and reference_cells.group_key = compared.group_key
),

-- both histograms side by side, bucket by bucket
merged as (
    select
        coalesce(current_side.window_start, reference_side.window_start) as window_start,
        coalesce(current_side.group_key, reference_side.group_key) as group_key,
        coalesce(current_side.bucket, reference_side.bucket) as bucket,
        coalesce(current_side.n, 0) as cn,
        coalesce(reference_side.n, 0) as rn,
        coalesce(current_side.offset_sum, 0) as c_offset_sum,
        coalesce(reference_side.offset_sum, 0) as r_offset_sum,
        case
            when current_side.value_min is null then reference_side.value_min
            when reference_side.value_min is null then current_side.value_min
            when current_side.value_min < reference_side.value_min then current_side.value_min
            else reference_side.value_min
        end as lo,
        case
            when current_side.value_max is null then reference_side.value_max
            when reference_side.value_max is null then current_side.value_max
            when current_side.value_max > reference_side.value_max then current_side.value_max
            else reference_side.value_max
        end as hi
    from current_cells as current_side
    full outer join window_reference_cells as reference_side
        on reference_side.window_start = current_side.window_start
        and reference_side.group_key = current_side.group_key
        and reference_side.bucket = current_side.bucket
),

-- running counts before each bucket: r_before (reference), c_before (current)
prefixed as (
    select
        merged.*,
        sum(rn) over bucket_order - rn as r_before,
        sum(cn) over bucket_order - cn as c_before,
        lag(hi) over bucket_order as previous_hi
    from merged
    window bucket_order as (partition by window_start, group_key order by bucket
        rows between unbounded preceding and current row)
),

bucket_bounds as (
    select
        prefixed.*,
        compared.reference_key,
        compared.n_values,
        compared.m_values,
        {{ cm_safe_divide('prefixed.r_before', 'compared.n_values') }} as f_before,
        {{ cm_safe_divide('prefixed.r_before + prefixed.rn', 'compared.n_values') }} as f_after,
        {{ cm_safe_divide('prefixed.c_before', 'compared.m_values') }} as g_before,
        {{ cm_safe_divide('prefixed.c_before + prefixed.cn', 'compared.m_values') }} as g_after,
        -- F - G keeps its sign across the bucket (integer arithmetic: no rounding)
        (prefixed.r_before * compared.m_values >= (prefixed.c_before + prefixed.cn) * compared.n_values
            or prefixed.c_before * compared.n_values >= (prefixed.r_before + prefixed.rn) * compared.m_values) as sign_is_fixed,
        -- PSI edge j is the ceil(j * n / bins)-th smallest reference value; this
        -- bucket holds edges first_edge .. last_edge
        cast(floor(cast(prefixed.r_before * {{ psi_bins }} as {{ dbl }}) / compared.n_values) as {{ big }}) + 1 as first_edge,
        cast(floor(cast((prefixed.r_before + prefixed.rn) * {{ psi_bins }} as {{ dbl }}) / compared.n_values) as {{ big }}) as last_edge,
        {{ cm_drift_base_of_bucket('prefixed.bucket') }} as base
    from prefixed
    inner join compared on compared.window_start = prefixed.window_start and compared.group_key = prefixed.group_key
),

bucket_terms as (
    select
        bucket_bounds.*,
        case when m_values > 0 then
            case when abs(f_before - g_before) > abs(f_after - g_after)
                then abs(f_before - g_before) else abs(f_after - g_after) end
        end as boundary_distance,
        -- the most |F - G| can reach inside the bucket
        case when m_values > 0 and rn > 0 and cn > 0 then
            case when f_after - g_before > g_after - f_before
                then f_after - g_before else g_after - f_before end
        end as inside_bound,
        case when m_values > 0 and previous_hi is not null then abs(f_before - g_before) * (lo - previous_hi) end as gap_area,
        -- integral of F over [lo, hi] = F_before * (hi - lo) + sum over values v of (hi - v) / n
        case when m_values > 0 and sign_is_fixed then abs(
            f_before * (hi - lo) + (rn * (hi - base) - r_offset_sum) / n_values
            - g_before * (hi - lo) - (cn * (hi - base) - c_offset_sum) / m_values
        ) end as bucket_area,
        (last_edge >= first_edge and first_edge <= {{ psi_bins - 1 }} and last_edge >= 1) as holds_edge
    from bucket_bounds
),

flagged as (
    select
        bucket_terms.*,
        max(boundary_distance) over (partition by window_start, group_key) as ks_lower_bound
    from bucket_terms
)

select
    window_start,
    group_key,
    bucket,
    reference_key,
    cast(n_values as {{ big }}) as n_values,
    cast(m_values as {{ big }}) as m_values,
    cast(rn as {{ big }}) as rn,
    cast(cn as {{ big }}) as cn,
    cast(r_before as {{ big }}) as r_before,
    cast(c_before as {{ big }}) as c_before,
    lo,
    hi,
    base,
    r_offset_sum,
    boundary_distance,
    gap_area,
    bucket_area,
    cast(first_edge as {{ big }}) as first_edge,
    cast(last_edge as {{ big }}) as last_edge,
    holds_edge,
    lo < hi and (
        (inside_bound is not null and inside_bound >= ks_lower_bound - 1e-12)
        or (m_values > 0 and not sign_is_fixed)
        or holds_edge
    ) as is_candidate,
    {{ cm_drift_log_batch() }} as _window_batch
from flagged
