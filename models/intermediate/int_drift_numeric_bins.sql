{#-
  Exact two-sample statistics of every numeric feature (and predicted_score),
  current window against its reference, with the PSI bins: one row per window
  x model x version x slice x feature x PSI bin. The feature-level statistics
  (sample sizes, KS statistic, Wasserstein distance, moments) repeat on every
  bin row of the feature; fct_feature_drift turns them into p-values, PSI and
  severities.

  int_drift_numeric_buckets has both ECDFs at every bucket boundary and marks
  the buckets whose values are needed (docs/drift.md, "Exact at scale"). Here
  their values are read back: the reference ECDF inside each such bucket is
  built once per reference, and every current value looks up F (and the area
  under F) there with an as-of join, as does every level the current ECDF
  takes, to find where F crosses it. That gives
    KS D        max(largest boundary distance, |F - G| at every value inside)
    Wasserstein sum of the gaps between buckets, of the sign-fixed buckets and
                of the pieces of the candidate buckets between current values
    PSI edges   the reference value reaching rank ceil(j * n / bins), found in
                the bucket holding it, with both counts up to it.
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
{%- set dbl = cm_type_double() -%}
{%- set big = dbt.type_bigint() -%}
{%- set group_columns = ['model_name', 'model_version', 'slice_name', 'slice_value', 'feature'] -%}
{%- set ref_cell = ['reference_key', 'group_key', 'bucket'] -%}

with

samples_all as (
    select * from {{ ref('int_drift_numeric_samples') }}
),

recompute as (
    {{ cm_drift_feature_windows('samples_all') }}
),

samples as (
    select *,
        n_reference - n_reference_missing as n_values,
        n_current - n_current_missing as m_values
    from samples_all
    where window_start in (select window_start from recompute)
),

buckets as (
    select * from {{ ref('int_drift_numeric_buckets') }}
    where window_start in (select window_start from recompute)
),

candidates as (
    select * from buckets where is_candidate
),

reference_windows as (
    {{ cm_drift_reference_windows('candidates', 'samples_all') }}
),

-- the rows each candidate needs: its window's (current side) and its
-- reference's (reference side, once per reference bucket)
wanted as (
    select distinct window_start as source_window, group_key, bucket, 'current' as side,
        window_start as sample_key
    from candidates
    union all
    select distinct reference_windows.source_window, reference_buckets.group_key, reference_buckets.bucket,
        'reference' as side, reference_windows.reference_key as sample_key
    from (select distinct reference_key, group_key, bucket from candidates) as reference_buckets
    inner join reference_windows on reference_windows.reference_key = reference_buckets.reference_key
),

wanted_buckets as (
    select distinct wanted.source_window, features.feature, wanted.bucket
    from wanted
    inner join (select distinct group_key, feature from samples_all) as features
        on features.group_key = wanted.group_key
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

-- cheap first filter: rows in a bucket some distribution of their window needs
wanted_rows as (
    select bucketed.*
    from (
        select source_values.*, {{ cm_drift_bucket('value', 'octave') }} as bucket
        from source_values
    ) as bucketed
    inner join wanted_buckets
        on wanted_buckets.source_window = bucketed.source_window
        and wanted_buckets.feature = bucketed.feature
        and wanted_buckets.bucket = bucketed.bucket
),

-- the values of each wanted bucket, per sample, one join per slice group
wanted_values as (
    {% for column in ['all'] + slices -%}
    select wanted.sample_key, wanted.side, wanted.group_key, wanted.bucket, wanted_rows.value
    from wanted_rows
    inner join wanted
        on wanted.source_window = wanted_rows.source_window
        and wanted.bucket = wanted_rows.bucket
        and wanted.group_key = {{ cm_drift_group_key('wanted_rows.model_name', 'wanted_rows.model_version',
            "'" ~ column ~ "'", "'all'" if column == 'all' else 'wanted_rows.' ~ column, 'wanted_rows.feature') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

value_counts as (
    select sample_key, side, group_key, bucket, value, count(*) as n
    from wanted_values
    group by sample_key, side, group_key, bucket, value
),

-- the reference ECDF inside each candidate bucket, once per reference:
-- r_le = reference values <= value (all buckets), r_offset = sum of their
-- offsets from the bucket base within the bucket
reference_ecdf as (
    select
        value_counts.sample_key as reference_key,
        value_counts.group_key,
        value_counts.bucket,
        value_counts.value,
        value_counts.n,
        reference_cells.r_before + sum(value_counts.n) over bucket_order as r_le,
        sum(value_counts.n * (value_counts.value - {{ cm_drift_base_of_bucket('value_counts.bucket') }})) over bucket_order as r_offset
    from value_counts
    inner join (select distinct reference_key, group_key, bucket, r_before from candidates) as reference_cells
        on reference_cells.reference_key = value_counts.sample_key
        and reference_cells.group_key = value_counts.group_key
        and reference_cells.bucket = value_counts.bucket
    where value_counts.side = 'reference'
    window bucket_order as (partition by value_counts.sample_key, value_counts.group_key, value_counts.bucket
        order by value_counts.value rows between unbounded preceding and current row)
),

-- the current ECDF inside each candidate bucket: c_le = current values <= value
current_ecdf as (
    select
        candidates.window_start,
        candidates.group_key,
        candidates.bucket,
        candidates.reference_key,
        value_counts.value,
        value_counts.n,
        candidates.c_before + sum(value_counts.n) over bucket_order as c_le,
        lead(value_counts.value) over bucket_order_all as next_value
    from value_counts
    inner join candidates
        on candidates.window_start = value_counts.sample_key
        and candidates.group_key = value_counts.group_key
        and candidates.bucket = value_counts.bucket
    where value_counts.side = 'current'
    window
        bucket_order as (partition by candidates.window_start, candidates.group_key, candidates.bucket
            order by value_counts.value rows between unbounded preceding and current row),
        bucket_order_all as (partition by candidates.window_start, candidates.group_key, candidates.bucket
            order by value_counts.value)
),

-- pieces of a candidate bucket where G is constant: from lo to the first
-- current value (level c_before), then from each current value to the next one
-- or to hi (level c_le)
first_current_values as (
    select window_start, group_key, bucket, min(value) as value
    from current_ecdf
    group by window_start, group_key, bucket
),

pieces as (
    select
        candidates.window_start, candidates.group_key, candidates.bucket, candidates.reference_key,
        candidates.lo as piece_start,
        coalesce(first_current_values.value, candidates.hi) as piece_end,
        candidates.c_before as g_count
    from candidates
    left join first_current_values
        on first_current_values.window_start = candidates.window_start
        and first_current_values.group_key = candidates.group_key
        and first_current_values.bucket = candidates.bucket
    where candidates.m_values > 0
    union all
    select
        current_ecdf.window_start, current_ecdf.group_key, current_ecdf.bucket, current_ecdf.reference_key,
        current_ecdf.value as piece_start,
        coalesce(current_ecdf.next_value, candidates.hi) as piece_end,
        current_ecdf.c_le as g_count
    from current_ecdf
    inner join candidates
        on candidates.window_start = current_ecdf.window_start
        and candidates.group_key = current_ecdf.group_key
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
        and candidates.group_key = pieces.group_key
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
        window_start, group_key,
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
        current_ecdf.group_key,
        abs(cast(coalesce(at_value.r_le, candidates.r_before) as {{ dbl }}) / candidates.n_values
            - cast(current_ecdf.c_le as {{ dbl }}) / candidates.m_values) as after_value,
        abs(cast(coalesce(at_value.r_le, candidates.r_before)
                - case when at_value.value = current_ecdf.value then at_value.n else 0 end as {{ dbl }}) / candidates.n_values
            - cast(current_ecdf.c_le - current_ecdf.n as {{ dbl }}) / candidates.m_values) as before_value
    from current_ecdf
    inner join candidates
        on candidates.window_start = current_ecdf.window_start
        and candidates.group_key = current_ecdf.group_key
        and candidates.bucket = current_ecdf.bucket
    {{ cm_drift_asof_join('reference_ecdf', 'at_value', 'current_ecdf', ref_cell, 'current_ecdf.value', 'at_or_before', 'value') }}
),

inside_terms as (
    select
        coalesce(distances.window_start, areas.window_start) as window_start,
        coalesce(distances.group_key, areas.group_key) as group_key,
        distances.ks_inside,
        areas.area_inside
    from (
        select window_start, group_key,
            max(case when after_value > before_value then after_value else before_value end) as ks_inside
        from inside_distances
        group by window_start, group_key
    ) as distances
    full outer join (
        select window_start, group_key, sum(area) as area_inside
        from piece_areas
        group by window_start, group_key
    ) as areas
        on areas.window_start = distances.window_start and areas.group_key = distances.group_key
),

-- boundary distances and areas outside the candidate buckets
outside_terms as (
    select
        window_start,
        group_key,
        max(boundary_distance) as ks_lower_bound,
        sum(gap_area) as area_gaps,
        sum(case when not is_candidate then bucket_area end) as area_buckets
    from buckets
    group by window_start, group_key
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
        buckets.window_start, buckets.group_key, buckets.bucket, buckets.reference_key,
        buckets.lo, buckets.hi, buckets.r_before, buckets.rn, buckets.c_before, buckets.cn,
        cast(floor((cast(edge_ranks.edge_index as {{ dbl }}) * buckets.n_values + {{ psi_bins - 1 }}) / {{ psi_bins }}) as {{ big }}) as edge_target
    from buckets
    inner join edge_ranks
        on buckets.holds_edge
        and edge_ranks.edge_index between buckets.first_edge and buckets.last_edge
),

edges_found as (
    select
        edge_targets.window_start,
        edge_targets.group_key,
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
    select distinct window_start, group_key, bucket, in_point, edge_value, r_le, c_before, cn from edges_found
),

-- current values up to the edge: all of a point bucket, else up to the edge
-- value inside its bucket
edges as (
    select
        distinct_edges.window_start,
        distinct_edges.group_key,
        distinct_edges.edge_value,
        distinct_edges.r_le,
        case
            when distinct_edges.in_point then distinct_edges.c_before + distinct_edges.cn
            else coalesce(edge_current.c_le, distinct_edges.c_before)
        end as c_le
    from distinct_edges
    {{ cm_drift_asof_join('current_ecdf', 'edge_current', 'distinct_edges', ['window_start', 'group_key', 'bucket'], 'distinct_edges.edge_value', 'at_or_before', 'value') }}
),

numbered_edges as (
    select
        edges.*,
        row_number() over edge_order as bin_index,
        lag(r_le) over edge_order as previous_r_le,
        lag(c_le) over edge_order as previous_c_le
    from edges
    window edge_order as (partition by window_start, group_key order by edge_value)
),

-- value bins 1..k (the last one open-ended; values outside the reference range
-- fall into the first or the last bin) and bin 0 for missing values
bins as (
    select
        window_start, group_key, bin_index,
        edge_value as bin_upper,
        r_le - coalesce(previous_r_le, 0) as n_reference_bin,
        c_le - coalesce(previous_c_le, 0) as n_current_bin
    from numbered_edges
    union all
    select
        samples.window_start,
        samples.group_key,
        coalesce(last_edges.bin_index, 0) + 1 as bin_index,
        cast(null as {{ dbl }}) as bin_upper,
        samples.n_values - coalesce(last_edges.r_le, 0) as n_reference_bin,
        samples.m_values - coalesce(last_edges.c_le, 0) as n_current_bin
    from samples
    left join (
        select window_start, group_key, max(bin_index) as bin_index, max(r_le) as r_le, max(c_le) as c_le
        from numbered_edges
        group by window_start, group_key
    ) as last_edges
        on last_edges.window_start = samples.window_start and last_edges.group_key = samples.group_key
    union all
    select
        window_start, group_key, 0 as bin_index,
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
            case when coalesce(inside_terms.ks_inside, 0) > outside_terms.ks_lower_bound
                then inside_terms.ks_inside else outside_terms.ks_lower_bound end
        end as ks_statistic,
        case when samples.n_values > 0 and samples.m_values > 0 then
            coalesce(outside_terms.area_gaps, 0) + coalesce(outside_terms.area_buckets, 0) + coalesce(inside_terms.area_inside, 0)
        end as wasserstein
    from samples
    left join inside_terms
        on inside_terms.window_start = samples.window_start and inside_terms.group_key = samples.group_key
    left join outside_terms
        on outside_terms.window_start = samples.window_start and outside_terms.group_key = samples.group_key
)

select
    statistics.window_start,
    statistics.window_end,
    {% for column in group_columns -%}
    statistics.{{ column }},
    {% endfor -%}
    statistics.feature_type,
    statistics.reference_start,
    statistics.reference_end,
    statistics.n_reference,
    statistics.n_current,
    statistics.n_reference_missing,
    statistics.n_current_missing,
    cast(statistics.ks_statistic as {{ dbl }}) as ks_statistic,
    cast(statistics.wasserstein as {{ dbl }}) as wasserstein,
    statistics.reference_mean,
    statistics.reference_std,
    statistics.current_mean,
    statistics.current_std,
    cast(bins.bin_index as integer) as bin_index,
    cast(bins.bin_upper as {{ dbl }}) as bin_upper,
    cast(bins.n_reference_bin as {{ big }}) as n_reference_bin,
    cast(bins.n_current_bin as {{ big }}) as n_current_bin,
    {{ cm_drift_log_batch() }} as _window_batch
from statistics
inner join bins on bins.window_start = statistics.window_start and bins.group_key = statistics.group_key
