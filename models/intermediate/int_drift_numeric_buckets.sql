{#-
  The merged bucket histograms of every numeric comparison, reduced to what
  int_drift_numeric_bins needs. Running counts over the two histograms, side
  by side in bucket order, give both ECDFs exactly at every bucket boundary
  (F: reference, n values; G: current, m values). Everything that follows from
  them alone is summed here, per window x compared distribution (group_key):
    ks_lower_bound  the largest |F - G| at a bucket boundary (KS D is at least this)
    outside_area    the integral of |F - G| between buckets (both CDFs are flat
                    there) plus over every bucket where F - G keeps its sign
                    (from counts and offset sums)
  and written on one row with bucket null. The other rows are the buckets whose
  values must be read (is_candidate):
    - both samples have values in it and max(F_after - G_before, G_after - F_before)
      reaches ks_lower_bound: the KS supremum may hide inside;
    - F - G may change sign inside: its Wasserstein integral needs the values;
    - it holds a PSI edge (a reference quantile);
  except buckets holding a single value (points), which need nothing more; a
  point holding a PSI edge is kept too (is_candidate false), the edge is its value.

  Comparisons are done in integer arithmetic on cross products (F - G has the
  denominator n m), so no rounding decides which bucket is read.
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

{#- The recomputed windows' cells and their reference windows' (all this run
    reads), inlined where used: a CTE used twice would hold a copy of them. -#}
{%- set keyed_cells -%}
    (
        select window_start, group_key, bucket, n, offset_sum, value_min, value_max
        from {{ ref('int_drift_numeric_cells') }}
        {% if is_incremental() -%}
        -- only these on an incremental run; a full build reads every window
        where window_start >= {{ cm_drift_needed_from('recompute') }}
            and {{ cm_drift_is_needed_window('window_start', 'recompute') }}
            and bucket is not null
        {%- else %}
        where bucket is not null
        {%- endif %}
    )
{%- endset %}

with

samples as (
    select * from {{ ref('int_drift_numeric_samples') }}
),

recompute as (
    {{ cm_drift_feature_windows('samples') }}
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

reference_windows as (
    {{ cm_drift_reference_windows('compared', 'samples') }}
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
    inner join {{ keyed_cells }} as keyed_cells on keyed_cells.window_start = reference_windows.source_window
    inner join (select distinct reference_key, group_key from compared) as referenced
        on referenced.reference_key = reference_windows.reference_key and referenced.group_key = keyed_cells.group_key
    group by reference_windows.reference_key, keyed_cells.group_key, keyed_cells.bucket
),

-- every comparison numbered: narrow integer keys for the merged histograms
comparisons as (
    select
        window_start,
        group_key,
        reference_key,
        n_values,
        m_values,
        cast(row_number() over (order by window_start, group_key) as integer) as comparison
    from compared
),

-- both histograms of every comparison side by side, bucket by bucket, on
-- narrow rows with integer keys (the window below sorts all of them)
merged as (
    select
        coalesce(current_side.comparison, reference_side.comparison) as comparison,
        coalesce(current_side.bucket, reference_side.bucket) as bucket,
        cast(coalesce(reference_side.n, 0) as {{ big }}) as rn,
        cast(coalesce(current_side.n, 0) as {{ big }}) as cn,
        coalesce(reference_side.offset_sum, 0) as r_offset_sum,
        coalesce(current_side.offset_sum, 0) as c_offset_sum,
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
    from (
        select comparisons.comparison, keyed_cells.bucket, keyed_cells.n, keyed_cells.offset_sum,
            keyed_cells.value_min, keyed_cells.value_max
        from {{ keyed_cells }} as keyed_cells
        inner join comparisons
            on comparisons.window_start = keyed_cells.window_start and comparisons.group_key = keyed_cells.group_key
    ) as current_side
    full outer join (
        select comparisons.comparison, reference_cells.bucket, reference_cells.n, reference_cells.offset_sum,
            reference_cells.value_min, reference_cells.value_max
        from reference_cells
        inner join comparisons
            on comparisons.reference_key = reference_cells.reference_key and comparisons.group_key = reference_cells.group_key
    ) as reference_side
        on reference_side.comparison = current_side.comparison and reference_side.bucket = current_side.bucket
),

-- running counts in bucket order per comparison (partitions: DuckDB sorts and
-- processes them a group at a time, and spills; few window outputs, as the
-- window operator keeps each of them for every row)
ordered as (
    select
        merged.*,
        cast({{ cm_running_count('rn') }} over bucket_order as {{ big }}) as r_cumulative,
        cast({{ cm_running_count('cn') }} over bucket_order as {{ big }}) as c_cumulative,
        lag(hi) over bucket_order as raw_previous_hi
    from merged
    window bucket_order as (partition by comparison order by bucket rows between unbounded preceding and current row)
),

-- per bucket:
--   d_before, d_after  n m (F - G) before and after the bucket, exact integers
--   d_inside           the most n m |F - G| can reach inside (both samples in it)
--   sign_is_fixed      F before >= G after or G before >= F after
--   first/last_edge    PSI edge j is the ceil(j n / bins)-th smallest reference
--                      value: this bucket holds edges first_edge .. last_edge
-- (a bucket is its comparison's first one when nothing precedes it there)
bucket_terms as (
    select
        comparison, bucket, rn, cn, r_before, c_before, lo, hi, n_values, m_values,
        r_offset_sum, d_inside, sign_is_fixed, first_edge, last_edge,
        case when m_values > 0 then greatest(abs(d_before), abs(d_after)) end as d_boundary,
        (last_edge >= first_edge and first_edge <= {{ psi_bins - 1 }}) as holds_edge,
        -- n m x the integral of |F - G| from the previous bucket's last value to
        -- this bucket's first one, where both CDFs are flat
        case when m_values > 0 and previous_hi is not null
            then abs(cast(d_before as {{ dbl }})) * (lo - previous_hi) end as gap_area_nm,
        -- n m x the integral over [lo, hi] when F - G keeps its sign: n x the
        -- integral of F is r_before (hi - lo) + the sum over the bucket's
        -- reference values v of (hi - v), and (hi - v) = (hi - base) - offset
        case when m_values > 0 and sign_is_fixed then abs(
            cast(d_before as {{ dbl }}) * (hi - lo)
            + cast(rn * m_values - cn * n_values as {{ dbl }}) * (hi - {{ cm_drift_base_of_bucket('bucket') }})
            - (r_offset_sum * m_values - c_offset_sum * n_values)
        ) end as bucket_area_nm
    from (
        select
            counted.*,
            r_before * m_values - c_before * n_values as d_before,
            (r_before + rn) * m_values - (c_before + cn) * n_values as d_after,
            case when rn > 0 and cn > 0 then
                greatest((r_before + rn) * m_values - c_before * n_values,
                         (c_before + cn) * n_values - r_before * m_values)
            end as d_inside,
            (r_before * m_values >= (c_before + cn) * n_values
                or c_before * n_values >= (r_before + rn) * m_values) as sign_is_fixed,
            cast(floor(cast(r_before * {{ psi_bins }} as {{ dbl }}) / n_values) as {{ big }}) + 1 as first_edge,
            cast(floor(cast((r_before + rn) * {{ psi_bins }} as {{ dbl }}) / n_values) as {{ big }}) as last_edge,
            case when r_before + c_before > 0 then raw_previous_hi end as previous_hi
        from (
            select
                ordered.*,
                comparisons.n_values,
                comparisons.m_values,
                ordered.r_cumulative - ordered.rn as r_before,
                ordered.c_cumulative - ordered.cn as c_before
            from ordered
            inner join comparisons on comparisons.comparison = ordered.comparison
        ) as counted
    ) as bounded
),

-- per comparison: the largest boundary distance and the sign-fixed areas
group_terms as (
    select
        comparison,
        max(d_boundary) as d_lower_bound,
        coalesce(sum(gap_area_nm), 0) + coalesce(sum(bucket_area_nm), 0) as fixed_area_nm
    from bucket_terms
    group by comparison
),

-- the buckets bins must look at: candidates, and points holding a PSI edge
flagged as (
    select
        bucket_terms.*,
        bucket_terms.lo < bucket_terms.hi and (
            coalesce(bucket_terms.d_inside >= group_terms.d_lower_bound, false)
            or (bucket_terms.m_values > 0 and not bucket_terms.sign_is_fixed)
            or bucket_terms.holds_edge
        ) as is_candidate
    from bucket_terms
    inner join group_terms on group_terms.comparison = bucket_terms.comparison
    where bucket_terms.holds_edge
        or (bucket_terms.lo < bucket_terms.hi and (
            coalesce(bucket_terms.d_inside >= group_terms.d_lower_bound, false)
            or (bucket_terms.m_values > 0 and not bucket_terms.sign_is_fixed)))
),

-- the area outside the candidates: every sign-fixed area but the candidates' own
totals as (
    select
        comparisons.window_start,
        comparisons.group_key,
        comparisons.reference_key,
        comparisons.n_values,
        comparisons.m_values,
        cast(group_terms.d_lower_bound as {{ dbl }}) / (cast(comparisons.n_values as {{ dbl }}) * comparisons.m_values) as ks_lower_bound,
        (group_terms.fixed_area_nm - coalesce(candidate_areas.area_nm, 0))
            / (cast(comparisons.n_values as {{ dbl }}) * comparisons.m_values) as outside_area
    from comparisons
    inner join group_terms on group_terms.comparison = comparisons.comparison
    left join (
        select comparison, sum(bucket_area_nm) as area_nm
        from flagged
        where is_candidate
        group by comparison
    ) as candidate_areas
        on candidate_areas.comparison = comparisons.comparison
)

select
    window_start,
    group_key,
    reference_key,
    cast(n_values as {{ big }}) as n_values,
    cast(m_values as {{ big }}) as m_values,
    cast(null as integer) as bucket,
    cast(null as {{ big }}) as rn,
    cast(null as {{ big }}) as cn,
    cast(null as {{ big }}) as r_before,
    cast(null as {{ big }}) as c_before,
    cast(null as {{ dbl }}) as lo,
    cast(null as {{ dbl }}) as hi,
    cast(null as {{ dbl }}) as r_offset_sum,
    cast(null as {{ big }}) as first_edge,
    cast(null as {{ big }}) as last_edge,
    cast(null as boolean) as is_candidate,
    case when m_values > 0 then ks_lower_bound end as ks_lower_bound,
    case when m_values > 0 then outside_area end as outside_area,
    {{ cm_drift_log_batch() }} as _window_batch
from totals
union all
select
    comparisons.window_start,
    comparisons.group_key,
    comparisons.reference_key,
    cast(flagged.n_values as {{ big }}) as n_values,
    cast(flagged.m_values as {{ big }}) as m_values,
    cast(flagged.bucket as integer) as bucket,
    flagged.rn,
    flagged.cn,
    flagged.r_before,
    flagged.c_before,
    flagged.lo,
    flagged.hi,
    flagged.r_offset_sum,
    flagged.first_edge,
    flagged.last_edge,
    flagged.is_candidate,
    cast(null as {{ dbl }}) as ks_lower_bound,
    cast(null as {{ dbl }}) as outside_area,
    {{ cm_drift_log_batch() }} as _window_batch
from flagged
inner join comparisons on comparisons.comparison = flagged.comparison
