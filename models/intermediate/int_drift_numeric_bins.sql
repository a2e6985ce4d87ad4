{#-
  Exact two-sample statistics of every numeric feature (and predicted_score),
  current window against its reference: one row per window x model x version x
  slice x feature x PSI bin. The feature-level statistics (sample sizes, KS
  statistic, Wasserstein distance, moments) repeat on every bin row of the
  feature; fct_feature_drift turns them into p-values, PSI and severities.

  Exact without sorting every sample (docs/drift.md, "Exact at scale"):
  1. Bucket histograms (int_drift_numeric_cells) give both ECDFs exactly at every
     bucket boundary: F (reference) and G (current) before and after each bucket.
  2. KS: the largest |F - G| at the boundaries is a lower bound. Inside a bucket
     holding values of both samples, |F - G| cannot exceed
     max(F_after - G_before, G_after - F_before); only buckets where that bound
     reaches the lower bound can hide the supremum.
  3. Wasserstein = integral of |F - G|. Where F - G keeps its sign across a
     bucket, the integral over it follows from counts and value sums; between
     buckets F and G are constant. Only buckets where F - G may change sign need
     the values.
  4. PSI edges are reference quantiles: only the buckets holding them need values.
  A bucket holding one single value needs nothing more. The values of the other
  candidate buckets are read back: the reference ECDF inside them is built once
  per reference, and every current value looks up F (and the area under F)
  there with an as-of join, as does every level the current ECDF takes, to find
  where F crosses it.

  Groups (model x version x slice x feature) get integer ids for the bucket-level
  work: joins and sorts on one integer are much cheaper than on five strings.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_windows',
        drift_kinds=['features'],
        on_schema_change='fail'
    )
}}

{%- set slices = cm_config('slice_columns') -%}
{%- set features = cm_drift_numeric_features() -%}
{%- set psi_bins = cm_config('drift_psi_bins') | int -%}
{%- if psi_bins < 2 -%}
    {{ exceptions.raise_compiler_error("classifier_monitor: drift_psi_bins must be at least 2") }}
{%- endif -%}
{%- set mode = cm_drift_reference_mode() -%}
{%- set dbl = cm_type_double() -%}
{%- set big = dbt.type_bigint() -%}
{%- set group_columns = ['model_name', 'model_version', 'slice_name', 'slice_value', 'feature'] -%}
{%- set cell = ['window_start', 'group_id', 'bucket'] -%}
{%- set ref_cell = ['reference_key', 'group_id', 'bucket'] -%}

with

cells as (
    select * from {{ ref('int_drift_numeric_cells') }}
),

{% if is_incremental() %}
recompute as (
    select window_start from ({{ cm_drift_recompute_windows(this, ['features']) }}) as logged
),
{% else %}
recompute as (
    select distinct window_start from cells
),
{% endif %}

-- the recomputed windows and their reference windows: all this run reads
needed_cells as (
    select * from cells
    where window_start >= {{ cm_drift_needed_from('recompute') }}
        and {{ cm_drift_is_needed_window('window_start', 'recompute') }}
),

groups as (
    select
        row_number() over (order by {{ group_columns | join(', ') }}) as group_id,
        distinct_groups.*
    from (select distinct {{ group_columns | join(', ') }}, feature_type from needed_cells) as distinct_groups
),

keyed_cells as (
    select
        needed_cells.window_start,
        groups.group_id,
        needed_cells.bucket,
        needed_cells.n,
        needed_cells.offset_sum,
        needed_cells.offset_square_sum,
        needed_cells.value_min,
        needed_cells.value_max
    from needed_cells
    inner join groups on {{ cm_drift_join_on('groups', 'needed_cells', group_columns) }}
),

current_cells as (
    select * from keyed_cells
    where window_start in (select window_start from recompute)
),

-- each compared distribution (window x group) and the key of its reference:
-- the window itself for a trailing reference, one key for the fixed one
compared as (
    select distinct
        window_start,
        group_id,
        {{ 'window_start' if mode == 'trailing' else cm_timestamp_literal(cm_config('drift_reference_start') | string) }} as reference_key
    from current_cells
),

-- reference key -> the windows it sums
reference_windows as (
    {% if mode == 'trailing' -%}
    {% for shift in range(1, (cm_config('drift_reference_windows') | int) + 1) -%}
    select window_start as reference_key, {{ cm_drift_window_shift('window_start', -shift) }} as source_window
    from recompute
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {%- else -%}
    select distinct
        {{ cm_timestamp_literal(cm_config('drift_reference_start') | string) }} as reference_key,
        window_start as source_window
    from keyed_cells
    where {{ cm_drift_in_fixed_reference('window_start') }}
    {%- endif %}
),

reference_groups as (
    select distinct reference_key, group_id from compared
),

reference_sums as (
    select
        reference_windows.reference_key,
        keyed_cells.group_id,
        keyed_cells.bucket,
        sum(keyed_cells.n) as n,
        sum(keyed_cells.offset_sum) as offset_sum,
        sum(keyed_cells.offset_square_sum) as offset_square_sum,
        min(keyed_cells.value_min) as value_min,
        max(keyed_cells.value_max) as value_max
    from reference_windows
    inner join keyed_cells on keyed_cells.window_start = reference_windows.source_window
    inner join reference_groups
        on reference_groups.reference_key = reference_windows.reference_key
        and reference_groups.group_id = keyed_cells.group_id
    group by reference_windows.reference_key, keyed_cells.group_id, keyed_cells.bucket
),

-- the reference histogram with its running count: reference values before the bucket
reference_cells as (
    select
        reference_sums.*,
        coalesce(sum(n) over (partition by reference_key, group_id order by bucket
            rows between unbounded preceding and 1 preceding), 0) as r_before
    from reference_sums
    where bucket is not null
),

-- sample sizes, missing values and moments per side (Chan et al.: bucket
-- moments from offsets, combined around the sample mean)
side_cells as (
    select window_start, group_id, 'current' as side, bucket, n, offset_sum, offset_square_sum from current_cells
    union all
    select compared.window_start, compared.group_id, 'reference' as side,
        reference_sums.bucket, reference_sums.n, reference_sums.offset_sum, reference_sums.offset_square_sum
    from compared
    inner join reference_sums
        on reference_sums.reference_key = compared.reference_key and reference_sums.group_id = compared.group_id
),

side_cell_moments as (
    select
        side_cells.*,
        {{ cm_drift_base_of_bucket('bucket') }} + offset_sum / n as cell_mean,
        case when offset_square_sum - offset_sum * offset_sum / n > 0
            then offset_square_sum - offset_sum * offset_sum / n else 0 end as cell_m2
    from side_cells
    where bucket is not null
),

side_means as (
    select window_start, group_id, side, sum(n) as n_values, sum(n * cell_mean) / sum(n) as mean
    from side_cell_moments
    group by window_start, group_id, side
),

side_moments as (
    select
        side_means.window_start,
        side_means.group_id,
        side_means.side,
        side_means.mean,
        sqrt(sum(side_cell_moments.cell_m2 + side_cell_moments.n
            * (side_cell_moments.cell_mean - side_means.mean) * (side_cell_moments.cell_mean - side_means.mean))
            / side_means.n_values) as std
    from side_means
    inner join side_cell_moments
        on side_cell_moments.window_start = side_means.window_start
        and side_cell_moments.group_id = side_means.group_id
        and side_cell_moments.side = side_means.side
    group by side_means.window_start, side_means.group_id, side_means.side, side_means.mean, side_means.n_values
),

sizes as (
    select
        compared.window_start,
        compared.group_id,
        compared.reference_key,
        coalesce(sum(case when side_cells.side = 'current' then side_cells.n end), 0) as n_current,
        coalesce(sum(case when side_cells.side = 'current' and side_cells.bucket is null then side_cells.n end), 0) as n_current_missing,
        coalesce(sum(case when side_cells.side = 'reference' then side_cells.n end), 0) as n_reference,
        coalesce(sum(case when side_cells.side = 'reference' and side_cells.bucket is null then side_cells.n end), 0) as n_reference_missing
    from compared
    left join side_cells
        on side_cells.window_start = compared.window_start and side_cells.group_id = compared.group_id
    group by compared.window_start, compared.group_id, compared.reference_key
),

-- n: reference values, m: current values (missing values excluded)
samples as (
    select sizes.*, n_reference - n_reference_missing as n_values, n_current - n_current_missing as m_values
    from sizes
),

-- each window's reference histogram (a fixed reference serves every window)
window_reference_cells as (
    select compared.window_start, reference_cells.*
    from compared
    inner join reference_cells
        on reference_cells.reference_key = compared.reference_key and reference_cells.group_id = compared.group_id
),

-- both histograms side by side, bucket by bucket
merged as (
    select
        coalesce(current_side.window_start, reference_side.window_start) as window_start,
        coalesce(current_side.group_id, reference_side.group_id) as group_id,
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
    from (select * from current_cells where bucket is not null) as current_side
    full outer join window_reference_cells as reference_side
        on reference_side.window_start = current_side.window_start
        and reference_side.group_id = current_side.group_id
        and reference_side.bucket = current_side.bucket
),

-- running counts before each bucket: r_before (reference), c_before (current)
prefixed as (
    select
        merged.window_start,
        merged.group_id,
        merged.bucket,
        merged.cn,
        merged.rn,
        merged.c_offset_sum,
        merged.r_offset_sum,
        merged.lo,
        merged.hi,
        sum(merged.rn) over window_order - merged.rn as r_before,
        sum(merged.cn) over window_order - merged.cn as c_before,
        lag(merged.hi) over window_order as previous_hi
    from merged
    window window_order as (partition by merged.window_start, merged.group_id order by merged.bucket
        rows between unbounded preceding and current row)
),

bucket_bounds as (
    select
        prefixed.*,
        samples.reference_key,
        samples.n_values,
        samples.m_values,
        {{ cm_safe_divide('prefixed.r_before', 'samples.n_values') }} as f_before,
        {{ cm_safe_divide('prefixed.r_before + prefixed.rn', 'samples.n_values') }} as f_after,
        {{ cm_safe_divide('prefixed.c_before', 'samples.m_values') }} as g_before,
        {{ cm_safe_divide('prefixed.c_before + prefixed.cn', 'samples.m_values') }} as g_after,
        -- F - G keeps its sign across the bucket (integer arithmetic: no rounding)
        (prefixed.r_before * samples.m_values >= (prefixed.c_before + prefixed.cn) * samples.n_values
            or prefixed.c_before * samples.n_values >= (prefixed.r_before + prefixed.rn) * samples.m_values) as sign_is_fixed,
        -- PSI edge j is the ceil(j * n / bins)-th smallest reference value; this
        -- bucket holds edges first_edge .. last_edge
        cast(floor(cast(prefixed.r_before * {{ psi_bins }} as {{ dbl }}) / samples.n_values) as {{ big }}) + 1 as first_edge,
        cast(floor(cast((prefixed.r_before + prefixed.rn) * {{ psi_bins }} as {{ dbl }}) / samples.n_values) as {{ big }}) as last_edge,
        {{ cm_drift_base_of_bucket('prefixed.bucket') }} as base
    from prefixed
    inner join samples
        on samples.window_start = prefixed.window_start and samples.group_id = prefixed.group_id
    where samples.n_values > 0
),

bucket_terms as (
    select
        bucket_bounds.*,
        -- |F - G| at both ends of the bucket: exact ECDF values
        case when m_values > 0 then
            case when abs(f_before - g_before) > abs(f_after - g_after)
                then abs(f_before - g_before) else abs(f_after - g_after) end
        end as boundary_distance,
        -- the most |F - G| can reach inside the bucket
        case when m_values > 0 and rn > 0 and cn > 0 then
            case when f_after - g_before > g_after - f_before
                then f_after - g_before else g_after - f_before end
        end as inside_bound,
        -- integral of |F - G| over the gap from the previous bucket, where both are flat
        case when m_values > 0 and previous_hi is not null then abs(f_before - g_before) * (lo - previous_hi) end as gap_area,
        -- integral over the bucket [lo, hi] when F - G keeps its sign:
        -- integral of F = F_before * (hi - lo) + sum over values v of (hi - v) / n
        case when m_values > 0 and sign_is_fixed then abs(
            f_before * (hi - lo) + (rn * (hi - base) - r_offset_sum) / n_values
            - g_before * (hi - lo) - (cn * (hi - base) - c_offset_sum) / m_values
        ) end as bucket_area,
        (last_edge >= first_edge and first_edge <= {{ psi_bins - 1 }} and last_edge >= 1) as holds_edge
    from bucket_bounds
),

boundary_ks as (
    select window_start, group_id, max(boundary_distance) as ks_lower_bound
    from bucket_terms
    group by window_start, group_id
),

-- buckets whose values must be read: the supremum may hide inside, F - G may
-- change sign inside, or a PSI edge lies inside; a bucket holding one single
-- value (lo = hi) is a point, already exact
candidates as (
    select bucket_terms.*
    from bucket_terms
    inner join boundary_ks
        on boundary_ks.window_start = bucket_terms.window_start and boundary_ks.group_id = bucket_terms.group_id
    where bucket_terms.lo < bucket_terms.hi
        and ((bucket_terms.inside_bound is not null
                and bucket_terms.inside_bound >= boundary_ks.ks_lower_bound - 1e-12)
            or (bucket_terms.m_values > 0 and not bucket_terms.sign_is_fixed)
            or bucket_terms.holds_edge)
),

-- the rows each candidate needs: its window's (current side) and its
-- reference's (reference side, once per reference bucket)
wanted as (
    select distinct window_start as source_window, group_id, bucket, 'current' as side,
        window_start as sample_key
    from candidates
    union all
    select distinct reference_windows.source_window, candidates.group_id, candidates.bucket, 'reference' as side,
        reference_windows.reference_key as sample_key
    from candidates
    inner join reference_windows on reference_windows.reference_key = candidates.reference_key
),

wanted_buckets as (
    select distinct wanted.source_window, groups.model_name, groups.model_version, groups.feature, wanted.bucket
    from wanted
    inner join groups on groups.group_id = wanted.group_id
),

source_events as (
    select
        {{ cm_drift_window_start('hour') }} as source_window,
        model_name,
        model_version,
        {% for column in slices -%}
        {{ column }},
        {% endfor -%}
        {% for feature in features -%}
        {{ cm_drift_finite(feature.name) }} as {{ feature.name }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ ref('stg_inference_events') }}
    where hour >= (select min(source_window) from wanted)
        and {{ cm_drift_window_start('hour') }} in (select distinct source_window from wanted)
),

source_values as (
    {% for feature in features -%}
    select
        source_window, model_name,
        {{ cm_drift_model_version('model_version', feature.type) }} as model_version,
        {% for column in slices -%}
        {{ column }},
        {% endfor -%}
        '{{ feature.name }}' as feature,
        {{ feature.name }} as value,
        {{ cm_drift_octave(feature.name) }} as octave
    from source_events
    where {{ feature.name }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- cheap first filter: rows in a bucket some group of their window needs
wanted_rows as (
    select bucketed.*
    from (
        select source_values.*, {{ cm_drift_bucket('value', 'octave') }} as bucket
        from source_values
    ) as bucketed
    inner join wanted_buckets
        on wanted_buckets.source_window = bucketed.source_window
        and wanted_buckets.model_name = bucketed.model_name
        and wanted_buckets.model_version = bucketed.model_version
        and wanted_buckets.feature = bucketed.feature
        and wanted_buckets.bucket = bucketed.bucket
),

-- the values of each wanted bucket, per sample, one join per slice group
wanted_values as (
    {% for column in ['all'] + slices -%}
    select wanted.sample_key, wanted.side, wanted.group_id, wanted.bucket, wanted_rows.value
    from wanted_rows
    inner join groups
        on groups.model_name = wanted_rows.model_name
        and groups.model_version = wanted_rows.model_version
        and groups.feature = wanted_rows.feature
        and groups.slice_name = '{{ column }}'
        and groups.slice_value = {{ "'all'" if column == 'all' else 'wanted_rows.' ~ column }}
    inner join wanted
        on wanted.source_window = wanted_rows.source_window
        and wanted.group_id = groups.group_id
        and wanted.bucket = wanted_rows.bucket
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

value_counts as (
    select sample_key, side, group_id, bucket, value, count(*) as n
    from wanted_values
    group by sample_key, side, group_id, bucket, value
),

-- the reference ECDF inside each candidate bucket, once per reference:
-- r_le = reference values <= value (all buckets), r_offset = sum of their
-- offsets from the bucket base within the bucket
reference_ecdf as (
    select
        value_counts.sample_key as reference_key,
        value_counts.group_id,
        value_counts.bucket,
        value_counts.value,
        value_counts.n,
        reference_cells.r_before + sum(value_counts.n) over bucket_order as r_le,
        sum(value_counts.n * (value_counts.value - {{ cm_drift_base_of_bucket('value_counts.bucket') }})) over bucket_order as r_offset
    from value_counts
    inner join reference_cells
        on reference_cells.reference_key = value_counts.sample_key
        and reference_cells.group_id = value_counts.group_id
        and reference_cells.bucket = value_counts.bucket
    where value_counts.side = 'reference'
    window bucket_order as (partition by value_counts.sample_key, value_counts.group_id, value_counts.bucket
        order by value_counts.value rows between unbounded preceding and current row)
),

-- the current ECDF inside each candidate bucket: c_le = current values <= value
current_ecdf as (
    select
        candidates.window_start,
        candidates.group_id,
        candidates.bucket,
        candidates.reference_key,
        value_counts.value,
        value_counts.n,
        candidates.c_before + sum(value_counts.n) over bucket_order as c_le,
        lead(value_counts.value) over bucket_order_all as next_value
    from value_counts
    inner join candidates
        on candidates.window_start = value_counts.sample_key
        and candidates.group_id = value_counts.group_id
        and candidates.bucket = value_counts.bucket
    where value_counts.side = 'current'
    window
        bucket_order as (partition by candidates.window_start, candidates.group_id, candidates.bucket
            order by value_counts.value rows between unbounded preceding and current row),
        bucket_order_all as (partition by candidates.window_start, candidates.group_id, candidates.bucket
            order by value_counts.value)
),

-- pieces of a candidate bucket where G is constant: from lo to the first
-- current value (level c_before), then from each current value to the next one
-- or to hi (level c_le)
first_current_values as (
    select window_start, group_id, bucket, min(value) as value
    from current_ecdf
    group by window_start, group_id, bucket
),

pieces as (
    select
        candidates.window_start, candidates.group_id, candidates.bucket, candidates.reference_key,
        candidates.lo as piece_start,
        coalesce(first_current_values.value, candidates.hi) as piece_end,
        candidates.c_before as g_count
    from candidates
    left join first_current_values
        on first_current_values.window_start = candidates.window_start
        and first_current_values.group_id = candidates.group_id
        and first_current_values.bucket = candidates.bucket
    where candidates.m_values > 0
    union all
    select
        current_ecdf.window_start, current_ecdf.group_id, current_ecdf.bucket, current_ecdf.reference_key,
        current_ecdf.value as piece_start,
        coalesce(current_ecdf.next_value, candidates.hi) as piece_end,
        current_ecdf.c_le as g_count
    from current_ecdf
    inner join candidates
        on candidates.window_start = current_ecdf.window_start
        and candidates.group_id = current_ecdf.group_id
        and candidates.bucket = current_ecdf.bucket
),

-- where F first reaches the level of G: the smallest reference value with
-- r_le * m >= g_count * n, i.e. r_le >= ceil(g_count * n / m)
piece_levels as (
    select
        pieces.*,
        candidates.r_before,
        candidates.rn,
        candidates.r_offset_sum,
        candidates.lo,
        candidates.hi,
        candidates.base,
        candidates.n_values,
        candidates.m_values,
        cast(floor((cast(pieces.g_count as {{ dbl }}) * candidates.n_values + candidates.m_values - 1) / candidates.m_values) as {{ big }}) as level_target
    from pieces
    inner join candidates
        on candidates.window_start = pieces.window_start
        and candidates.group_id = pieces.group_id
        and candidates.bucket = pieces.bucket
    where pieces.piece_end > pieces.piece_start
),

piece_crossings as (
    select
        piece_levels.*,
        at_start.r_le as start_r_le,
        at_start.r_offset as start_r_offset,
        at_end.r_le as end_r_le,
        at_end.r_offset as end_r_offset,
        crossing.value as crossing_value,
        crossing.r_le as crossing_r_le,
        crossing.r_offset as crossing_r_offset
    from piece_levels
    {{ cm_drift_asof_join('reference_ecdf', 'at_start', 'piece_levels', ref_cell, 'piece_levels.piece_start', 'at_or_before', 'value') }}
    {{ cm_drift_asof_join('reference_ecdf', 'at_end', 'piece_levels', ref_cell, 'piece_levels.piece_end', 'at_or_before', 'value') }}
    {{ cm_drift_asof_join('reference_ecdf', 'crossing', 'piece_levels', ref_cell, 'piece_levels.level_target', 'at_or_after', 'r_le') }}
),

-- n * (area under F from lo to t) = r_before * (t - lo) + sum over reference
-- values v <= t in the bucket of (t - v); the level crossing t* is clamped to
-- the piece; integral of |F - g| = g (t* - a) - A(t*) + A(a) + A(b) - A(t*) - g (b - t*)
piece_areas as (
    select
        window_start, group_id,
        (
            g * (t_star - piece_start) - (area_t_star - area_start)
            + (area_end - area_t_star) - g * (piece_end - t_star)
        ) as area
    from (
        select
            clamped.*,
            cast(g_count as {{ dbl }}) / m_values as g,
            (r_before * (piece_start - lo) + coalesce(start_r_le - r_before, 0) * (piece_start - base) - coalesce(start_r_offset, 0)) / n_values as area_start,
            (r_before * (piece_end - lo) + coalesce(end_r_le - r_before, 0) * (piece_end - base) - coalesce(end_r_offset, 0)) / n_values as area_end,
            case
                when t_star = piece_start then (r_before * (piece_start - lo) + coalesce(start_r_le - r_before, 0) * (piece_start - base) - coalesce(start_r_offset, 0)) / n_values
                when t_star = piece_end then (r_before * (piece_end - lo) + coalesce(end_r_le - r_before, 0) * (piece_end - base) - coalesce(end_r_offset, 0)) / n_values
                else (r_before * (crossing_value - lo) + (crossing_r_le - r_before) * (crossing_value - base) - crossing_r_offset) / n_values
            end as area_t_star
        from (
            select
                piece_crossings.*,
                case
                    when level_target <= r_before then piece_start
                    when crossing_value is null or crossing_value >= piece_end then piece_end
                    when crossing_value <= piece_start then piece_start
                    else crossing_value
                end as t_star
            from piece_crossings
        ) as clamped
    ) as measured
),

-- |F - G| at every current value inside the candidate buckets, and just before it
inside_distances as (
    select
        current_ecdf.window_start,
        current_ecdf.group_id,
        abs(cast(coalesce(at_value.r_le, candidates.r_before) as {{ dbl }}) / candidates.n_values
            - cast(current_ecdf.c_le as {{ dbl }}) / candidates.m_values) as after_value,
        abs(cast(coalesce(at_value.r_le, candidates.r_before)
                - case when at_value.value = current_ecdf.value then at_value.n else 0 end as {{ dbl }}) / candidates.n_values
            - cast(current_ecdf.c_le - current_ecdf.n as {{ dbl }}) / candidates.m_values) as before_value
    from current_ecdf
    inner join candidates
        on candidates.window_start = current_ecdf.window_start
        and candidates.group_id = current_ecdf.group_id
        and candidates.bucket = current_ecdf.bucket
    {{ cm_drift_asof_join('reference_ecdf', 'at_value', 'current_ecdf', ref_cell, 'current_ecdf.value', 'at_or_before', 'value') }}
),

inside_terms as (
    select
        coalesce(distances.window_start, areas.window_start) as window_start,
        coalesce(distances.group_id, areas.group_id) as group_id,
        distances.ks_inside,
        areas.area_inside
    from (
        select window_start, group_id,
            max(case when after_value > before_value then after_value else before_value end) as ks_inside
        from inside_distances
        group by window_start, group_id
    ) as distances
    full outer join (
        select window_start, group_id, sum(area) as area_inside
        from piece_areas
        group by window_start, group_id
    ) as areas
        on areas.window_start = distances.window_start and areas.group_id = distances.group_id
),

outside_terms as (
    select
        bucket_terms.window_start,
        bucket_terms.group_id,
        sum(bucket_terms.gap_area) as area_gaps,
        sum(case when candidates.bucket is null then bucket_terms.bucket_area end) as area_buckets
    from bucket_terms
    left join candidates
        on candidates.window_start = bucket_terms.window_start
        and candidates.group_id = bucket_terms.group_id
        and candidates.bucket = bucket_terms.bucket
    group by bucket_terms.window_start, bucket_terms.group_id
),

-- PSI edges: the reference value reaching rank ceil(j * n / bins), with the
-- reference and current counts up to it
edge_ranks as (
    {% for j in range(1, psi_bins) -%}
    select {{ j }} as edge_index
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

edge_targets as (
    select
        bucket_terms.window_start, bucket_terms.group_id, bucket_terms.bucket, bucket_terms.reference_key,
        bucket_terms.lo, bucket_terms.hi, bucket_terms.r_before, bucket_terms.rn, bucket_terms.c_before, bucket_terms.cn,
        cast(floor((cast(edge_ranks.edge_index as {{ dbl }}) * bucket_terms.n_values + {{ psi_bins - 1 }}) / {{ psi_bins }}) as {{ big }}) as edge_target
    from bucket_terms
    inner join edge_ranks
        on bucket_terms.holds_edge
        and edge_ranks.edge_index between bucket_terms.first_edge and bucket_terms.last_edge
),

edges_found as (
    select
        edge_targets.window_start,
        edge_targets.group_id,
        edge_targets.bucket,
        edge_targets.lo = edge_targets.hi as in_point,
        case when edge_targets.lo = edge_targets.hi then edge_targets.lo else edge_point.value end as edge_value,
        case when edge_targets.lo = edge_targets.hi then edge_targets.r_before + edge_targets.rn else edge_point.r_le end as r_le,
        edge_targets.c_before,
        edge_targets.cn
    from edge_targets
    {{ cm_drift_asof_join('reference_ecdf', 'edge_point', 'edge_targets', ref_cell, 'edge_targets.edge_target', 'at_or_after', 'r_le') }}
),

-- equal edges (ties in the reference) collapse into one bin boundary
distinct_edges as (
    select distinct window_start, group_id, bucket, in_point, edge_value, r_le, c_before, cn from edges_found
),

-- current values up to the edge: all of a point bucket, else up to the edge
-- value inside its bucket
edges as (
    select
        distinct_edges.window_start,
        distinct_edges.group_id,
        distinct_edges.edge_value,
        distinct_edges.r_le,
        case
            when distinct_edges.in_point then distinct_edges.c_before + distinct_edges.cn
            else coalesce(edge_current.c_le, distinct_edges.c_before)
        end as c_le
    from distinct_edges
    {{ cm_drift_asof_join('current_ecdf', 'edge_current', 'distinct_edges', ['window_start', 'group_id', 'bucket'], 'distinct_edges.edge_value', 'at_or_before', 'value') }}
),

numbered_edges as (
    select
        edges.*,
        row_number() over edge_order as bin_index,
        lag(r_le) over edge_order as previous_r_le,
        lag(c_le) over edge_order as previous_c_le
    from edges
    window edge_order as (partition by window_start, group_id order by edge_value)
),

-- value bins 1..k (the last one open-ended; values outside the reference range
-- fall into the first or the last bin) and bin 0 for missing values
bins as (
    select
        window_start, group_id, bin_index,
        edge_value as bin_upper,
        r_le - coalesce(previous_r_le, 0) as n_reference_bin,
        c_le - coalesce(previous_c_le, 0) as n_current_bin
    from numbered_edges
    union all
    select
        samples.window_start,
        samples.group_id,
        coalesce(last_edges.bin_index, 0) + 1 as bin_index,
        cast(null as {{ dbl }}) as bin_upper,
        samples.n_values - coalesce(last_edges.r_le, 0) as n_reference_bin,
        samples.m_values - coalesce(last_edges.c_le, 0) as n_current_bin
    from samples
    left join (
        select window_start, group_id, max(bin_index) as bin_index, max(r_le) as r_le, max(c_le) as c_le
        from numbered_edges
        group by window_start, group_id
    ) as last_edges
        on last_edges.window_start = samples.window_start and last_edges.group_id = samples.group_id
    union all
    select
        window_start, group_id, 0 as bin_index,
        cast(null as {{ dbl }}) as bin_upper,
        n_reference_missing as n_reference_bin,
        n_current_missing as n_current_bin
    from samples
    where n_reference_missing + n_current_missing > 0
),

statistics as (
    select
        samples.*,
        case when samples.n_values > 0 and samples.m_values > 0 then
            case when coalesce(inside_terms.ks_inside, 0) > boundary_ks.ks_lower_bound
                then inside_terms.ks_inside else boundary_ks.ks_lower_bound end
        end as ks_statistic,
        case when samples.n_values > 0 and samples.m_values > 0 then
            coalesce(outside_terms.area_gaps, 0) + coalesce(outside_terms.area_buckets, 0) + coalesce(inside_terms.area_inside, 0)
        end as wasserstein,
        reference_moments.mean as reference_mean,
        reference_moments.std as reference_std,
        current_moments.mean as current_mean,
        current_moments.std as current_std
    from samples
    left join boundary_ks
        on boundary_ks.window_start = samples.window_start and boundary_ks.group_id = samples.group_id
    left join inside_terms
        on inside_terms.window_start = samples.window_start and inside_terms.group_id = samples.group_id
    left join outside_terms
        on outside_terms.window_start = samples.window_start and outside_terms.group_id = samples.group_id
    left join side_moments as reference_moments
        on reference_moments.window_start = samples.window_start and reference_moments.group_id = samples.group_id
        and reference_moments.side = 'reference'
    left join side_moments as current_moments
        on current_moments.window_start = samples.window_start and current_moments.group_id = samples.group_id
        and current_moments.side = 'current'
)

select
    statistics.window_start,
    {{ cm_drift_window_end('statistics.window_start') }} as window_end,
    {% for column in group_columns -%}
    groups.{{ column }},
    {% endfor -%}
    groups.feature_type,
    {{ cm_drift_reference_start('statistics.window_start') }} as reference_start,
    {{ cm_drift_reference_end('statistics.window_start') }} as reference_end,
    cast(statistics.n_reference as {{ big }}) as n_reference,
    cast(statistics.n_current as {{ big }}) as n_current,
    cast(statistics.n_reference_missing as {{ big }}) as n_reference_missing,
    cast(statistics.n_current_missing as {{ big }}) as n_current_missing,
    cast(statistics.ks_statistic as {{ dbl }}) as ks_statistic,
    cast(statistics.wasserstein as {{ dbl }}) as wasserstein,
    cast(statistics.reference_mean as {{ dbl }}) as reference_mean,
    cast(statistics.reference_std as {{ dbl }}) as reference_std,
    cast(statistics.current_mean as {{ dbl }}) as current_mean,
    cast(statistics.current_std as {{ dbl }}) as current_std,
    cast(bins.bin_index as integer) as bin_index,
    cast(bins.bin_upper as {{ dbl }}) as bin_upper,
    cast(bins.n_reference_bin as {{ big }}) as n_reference_bin,
    cast(bins.n_current_bin as {{ big }}) as n_current_bin,
    {{ cm_drift_log_batch() }} as _window_batch
from statistics
inner join groups on groups.group_id = statistics.group_id
inner join bins on bins.window_start = statistics.window_start and bins.group_id = statistics.group_id
