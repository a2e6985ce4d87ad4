{#-
  Exact two-sample statistics of every numeric feature (and predicted_score),
  current window against its reference, with the PSI bins: one row per window
  x model x version x slice x feature x PSI bin. The feature-level statistics
  (sample sizes, KS statistic, Wasserstein distance, moments) repeat on every
  bin row of the feature; fct_feature_drift turns them into p-values, PSI and
  severities.

  int_drift_numeric_buckets has already summed everything the bucket
  histograms decide (the largest |F - G| at a bucket boundary, the Wasserstein
  integral outside the candidate buckets) and lists the candidate buckets
  (docs/drift.md, "Exact at scale"). Here their values are read back in one
  scan: per feature, rows whose bucket some comparison of their window needs
  (a cheap filter on window and bucket), then each row's slice groups are
  matched with the wanted (sample, group, bucket) triples. Inside every
  candidate bucket the values of both samples are merged in value order, once:
  running counts give F and G after each distinct value, so
    KS D        max(largest boundary distance, |F - G| after every value inside)
    Wasserstein outside area + sum over consecutive values v < w inside a
                candidate bucket of |F - G|(v) (w - v)
    PSI edges   the values where the reference count reaches ceil(j n / bins)
                (a point bucket holding an edge is the edge itself)
  F - G is carried as the integer n m (F - G) until the final division.
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
{#- Only features with a candidate bucket read rows back: a feature whose
    buckets decide everything (few distinct values, e.g. a discount in steps of
    5) would scan every row to find none (about 2 s per feature at 10M rows). -#}
{%- set candidate_features = cm_query_values(
    "select distinct samples.feature from " ~ ref('int_drift_numeric_buckets') ~ " as buckets"
    ~ " inner join " ~ ref('int_drift_numeric_samples') ~ " as samples"
    ~ " on samples.window_start = buckets.window_start and samples.group_key = buckets.group_key"
    ~ " where buckets.is_candidate", default=features | map(attribute='name') | list,
    requires=[ref('int_drift_numeric_buckets'), ref('int_drift_numeric_samples')]) -%}
{%- set read_back_features = [] -%}
{%- for feature in features if feature.name in candidate_features -%}
    {%- do read_back_features.append(feature) -%}
{%- endfor -%}

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

totals as (
    select window_start, group_key, ks_lower_bound, outside_area
    from buckets
    where bucket is null
),

candidates as (
    select window_start, group_key, bucket, reference_key, n_values, m_values, r_before, c_before, rn, cn,
        lo, hi, r_offset_sum, {{ cm_drift_base_of_bucket('bucket') }} as base
    from buckets
    where is_candidate
),

reference_windows as (
    {{ cm_drift_reference_windows('candidates', 'samples_all') }}
),

-- the (source window, group, bucket) triples to read and the sample they feed:
-- the window itself (current side) or a reference holding the window
wanted as (
    select distinct window_start as source_window, group_key, bucket, window_start as sample_key, false as is_reference
    from candidates
    union all
    select reference_windows.source_window, reference_buckets.group_key, reference_buckets.bucket,
        reference_buckets.reference_key as sample_key, true as is_reference
    from (select distinct reference_key, group_key, bucket from candidates) as reference_buckets
    inner join reference_windows on reference_windows.reference_key = reference_buckets.reference_key
),

-- the same per feature, whatever the group: a cheap first filter of the rows
wanted_buckets as (
    select distinct wanted.source_window, features.feature, wanted.bucket
    from wanted
    inner join (select distinct group_key, feature from samples_all) as features
        on features.group_key = wanted.group_key
),

source_windows as (
    select distinct source_window from wanted
),

-- per feature, the rows in a wanted bucket of their window (one scan of the
-- rows per feature, no materialised copy of the rows; the join on window and
-- bucket is the only filter the rows need, besides a range predicate that
-- skips old row groups on incremental runs), each repeated for every slice
-- group it belongs to
memberships as (
    {% for feature in read_back_features -%}
    select
        feature_rows.source_window,
        feature_rows.bucket,
        feature_rows.value,
        case slice_groups.slice_index
            {% for column in ['all'] + slices -%}
            when {{ loop.index0 }} then {{ cm_drift_group_key('feature_rows.model_name', 'feature_rows.model_version', "'" ~ column ~ "'", "'all'" if column == 'all' else 'feature_rows.' ~ column, "'" ~ feature.name ~ "'") }}
            {% endfor -%}
        end as group_key
    from (
        select bucketed.*
        from {{ cm_drift_bucketed('(
            select
                ' ~ cm_drift_window_start('hour') ~ ' as source_window,
                model_name,
                ' ~ cm_drift_model_version('model_version', feature.type) ~ ' as model_version,
                ' ~ (slices | join(', ')) ~ (', ' if slices) ~ '
                ' ~ cm_drift_finite(feature.name) ~ ' as value
            from ' ~ ref('stg_inference_events') ~ '
            where ' ~ cm_drift_finite(feature.name) ~ ' is not null' ~ ('
                and hour >= (select min(source_window) from source_windows)' if is_incremental() else '') ~ '
        )', feature.name, offsets=false) }} as bucketed
        inner join (select source_window, bucket from wanted_buckets where feature = '{{ feature.name }}') as needed
            on needed.source_window = bucketed.source_window and needed.bucket = bucketed.bucket
    ) as feature_rows
    cross join (
        {% for column in ['all'] + slices -%}
        select {{ loop.index0 }} as slice_index{{ ' union all' if not loop.last }}
        {% endfor -%}
    ) as slice_groups
    {% if not loop.last %}union all{% endif %}
    {% else %}
    -- no feature has a candidate bucket
    select source_window, bucket, cast(null as {{ dbl }}) as value, group_key
    from wanted
    where 1 = 0
    {% endfor %}
),

-- distinct values per sample, group and wanted bucket
value_counts as (
    select wanted.sample_key, wanted.is_reference, wanted.group_key, wanted.bucket, memberships.value,
        cast(count(*) as {{ big }}) as n
    from memberships
    inner join wanted
        on wanted.source_window = memberships.source_window
        and wanted.group_key = memberships.group_key
        and wanted.bucket = memberships.bucket
    group by wanted.sample_key, wanted.is_reference, wanted.group_key, wanted.bucket, memberships.value
),

-- Inside a candidate bucket (F: reference, n values; G: current, m values;
-- counts below are "values <= v inside the bucket"):
--   the reference's values are sorted once per reference bucket, with every
--   window's current values of that bucket among them, which gives F at each
--   current value (r_le) and the integral of F up to it; no window copies the
--   reference's values;
--   each window's current values, sorted, give G (c_le), and cut the bucket
--   into pieces [v, next current value or hi) where G is constant, plus the
--   piece [lo, first current value) at G = c_before;
--   on a piece F rises: |F - G| is largest at its ends (KS), and its integral
--   needs F's crossing of G's level only when F - G changes sign on it.
-- The windows are partitioned by bucket: DuckDB sorts and processes the
-- partitions a group at a time, and spills them, however many values there are.
reference_buckets as (
    select distinct reference_key, group_key, bucket, n_values, r_before, rn, base from candidates
),

window_buckets as (
    select * from candidates
),

-- the reference's values and every window's current values per reference
-- bucket; at equal values the reference comes first, so a current value sees
-- F including the reference's ties (F(v)); r_tie: reference values equal to v
merged_values as (
    select
        reference_buckets.reference_key, reference_buckets.group_key, reference_buckets.bucket,
        value_counts.value, 0 as side, value_counts.n as r, reference_buckets.base,
        cast(null as {{ dbt.type_timestamp() }}) as window_start, cast(null as {{ big }}) as c, cast(null as {{ big }}) as r_tie
    from reference_buckets
    inner join value_counts
        on value_counts.sample_key = reference_buckets.reference_key
        and value_counts.group_key = reference_buckets.group_key
        and value_counts.bucket = reference_buckets.bucket
        and value_counts.is_reference
    union all
    select
        reference_buckets.reference_key, reference_buckets.group_key, reference_buckets.bucket,
        current_values.value, 1 as side, cast(0 as {{ big }}) as r, reference_buckets.base,
        current_values.window_start, current_values.n as c, coalesce(ties.n, 0) as r_tie
    from (
        select candidates.window_start, candidates.reference_key, candidates.group_key, candidates.bucket,
            value_counts.value, value_counts.n
        from candidates
        inner join value_counts
            on value_counts.sample_key = candidates.window_start
            and value_counts.group_key = candidates.group_key
            and value_counts.bucket = candidates.bucket
            and not value_counts.is_reference
    ) as current_values
    inner join reference_buckets
        on reference_buckets.reference_key = current_values.reference_key
        and reference_buckets.group_key = current_values.group_key
        and reference_buckets.bucket = current_values.bucket
    left join value_counts as ties
        on ties.sample_key = current_values.reference_key
        and ties.group_key = current_values.group_key
        and ties.bucket = current_values.bucket
        and ties.value = current_values.value
        and ties.is_reference
),

-- r_le: reference values <= value inside the bucket; area: n x the integral of
-- F inside the bucket from its base to value, minus r_before x (value - base),
-- i.e. the sum over reference values v' <= value of (value - v')
reference_running as (
    select
        reference_key, group_key, bucket, value, side, r, window_start, c, r_tie,
        r_le,
        r_le * (value - base) - offset_le as area
    from (
        select
            merged_values.*,
            cast({{ cm_running_count('r') }} over value_order as {{ big }}) as r_le,
            sum(r * (value - base)) over value_order as offset_le
        from merged_values
        window value_order as (partition by reference_key, group_key, bucket order by value, side
            rows between unbounded preceding and current row)
    ) as summed
),

-- the reference's ECDF inside its candidate buckets (crossings and PSI edges)
reference_ecdf as (
    select reference_key, group_key, bucket, value, r, r_le, area
    from reference_running
    where side = 0
),

-- each window's current values in order: G after the value (c_le), and what
-- the next current value of the bucket sees
current_running as (
    select
        sorted.*,
        (sorted.next_value is null) as is_last
    from (
        select
            window_buckets.window_start, window_buckets.group_key, window_buckets.bucket,
            window_buckets.reference_key, window_buckets.n_values, window_buckets.m_values,
            window_buckets.r_before, window_buckets.c_before, window_buckets.rn, window_buckets.cn,
            window_buckets.lo, window_buckets.hi, window_buckets.base, window_buckets.r_offset_sum,
            points.value, points.c, points.r_le, points.r_tie, points.area,
            cast({{ cm_running_count('points.c') }} over current_order as {{ big }}) as c_le,
            lead(points.value) over current_order as next_value,
            lead(points.r_le) over current_order as next_r_le,
            lead(points.area) over current_order as next_area
        from reference_running as points
        inner join window_buckets
            on window_buckets.window_start = points.window_start
            and window_buckets.group_key = points.group_key
            and window_buckets.bucket = points.bucket
        where points.side = 1
        window current_order as (partition by window_buckets.window_start, window_buckets.group_key,
            window_buckets.bucket order by points.value rows between unbounded preceding and current row)
    ) as sorted
),

-- n m |F - G| just after each current value and just before it
inside_distances as (
    select
        window_start,
        group_key,
        n_values,
        m_values,
        greatest(
            abs((r_before + r_le) * m_values - (c_before + c_le) * n_values),
            abs((r_before + r_le - r_tie) * m_values - (c_before + c_le - c) * n_values)
        ) as d
    from current_running
),

-- pieces where G is constant: [a, b) at level g (current values <= a), with F
-- (reference values <= x) at least f_a and at most f_b on it, and the
-- in-bucket reference areas at a and b
pieces as (
    -- [lo, first current value), or the whole bucket without current values
    select
        window_buckets.window_start, window_buckets.group_key, window_buckets.bucket,
        window_buckets.reference_key, window_buckets.n_values, window_buckets.m_values,
        window_buckets.r_before, window_buckets.base, window_buckets.lo as a,
        coalesce(firsts.value, window_buckets.hi) as b,
        window_buckets.c_before as g,
        window_buckets.r_before as f_a,
        window_buckets.r_before + coalesce(firsts.r_le, window_buckets.rn) as f_b,
        cast(0 as {{ dbl }}) as area_a,
        coalesce(firsts.area, window_buckets.rn * (window_buckets.hi - window_buckets.base) - window_buckets.r_offset_sum) as area_b
    from window_buckets
    left join (
        select window_start, group_key, bucket, value, r_le, area
        from current_running
        where c_le = c
    ) as firsts
        on firsts.window_start = window_buckets.window_start
        and firsts.group_key = window_buckets.group_key
        and firsts.bucket = window_buckets.bucket
    where window_buckets.m_values > 0
    union all
    -- [current value, next current value or hi)
    select
        window_start, group_key, bucket, reference_key, n_values, m_values, r_before, base,
        value as a,
        case when is_last then hi else next_value end as b,
        c_before + c_le as g,
        r_before + r_le as f_a,
        case when is_last then r_before + rn else r_before + next_r_le end as f_b,
        area as area_a,
        case when is_last then rn * (hi - base) - r_offset_sum else next_area end as area_b
    from current_running
),

-- where F - G changes sign on a piece: the first reference value reaching
-- count ceil(g n / m) - r_before inside the bucket
crossing_pieces as (
    select
        pieces.*,
        cast(floor((cast(g as {{ dbl }}) * n_values + m_values - 1) / m_values) as {{ big }}) - r_before as target
    from pieces
    where b > a and f_a * m_values < g * n_values and f_b * m_values > g * n_values
),

-- the reference ECDF of the buckets with a crossing only (the as-of join sorts it)
crossing_ecdf as (
    select reference_ecdf.*
    from reference_ecdf
    inner join (select distinct reference_key, group_key, bucket from crossing_pieces) as crossed
        on crossed.reference_key = reference_ecdf.reference_key
        and crossed.group_key = reference_ecdf.group_key
        and crossed.bucket = reference_ecdf.bucket
),

crossings as (
    select
        crossing_pieces.window_start,
        crossing_pieces.group_key,
        -- the crossing point, within the piece
        case when crossing.value < crossing_pieces.a then crossing_pieces.a
            when crossing.value > crossing_pieces.b then crossing_pieces.b
            else crossing.value end as t,
        crossing.value as crossing_value,
        crossing.r_le as crossing_r_le,
        crossing.area as crossing_area,
        crossing_pieces.a, crossing_pieces.b, crossing_pieces.g, crossing_pieces.n_values, crossing_pieces.m_values,
        crossing_pieces.r_before, crossing_pieces.base, crossing_pieces.area_a, crossing_pieces.area_b
    from crossing_pieces
    {{ cm_drift_asof_join('crossing_ecdf', 'crossing', 'crossing_pieces', ['reference_key', 'group_key', 'bucket'], 'crossing_pieces.target', 'at_or_after', 'r_le') }}
),

-- n m x the integral of |F - G| over each piece: with A(x) = the sum over
-- reference values v <= x of (x - v) (in-bucket area plus r_before (x - a)),
-- n x the integral of F over [a, b] is A(b) - A(a)
piece_areas as (
    select
        window_start, group_key,
        abs(cast(m_values as {{ dbl }}) * (area_b - area_a + r_before * (b - a)) - cast(g * n_values as {{ dbl }}) * (b - a)) as area_nm
    from pieces
    where b > a and not (f_a * m_values < g * n_values and f_b * m_values > g * n_values)
    union all
    select
        window_start, group_key,
        -- sign changes at t: |integral over [a, t]| + |integral over [t, b]|
        abs(cast(m_values as {{ dbl }}) * (t_area - area_a + r_before * (t - a)) - cast(g * n_values as {{ dbl }}) * (t - a))
        + abs(cast(m_values as {{ dbl }}) * (area_b - t_area + r_before * (b - t)) - cast(g * n_values as {{ dbl }}) * (b - t)) as area_nm
    from (
        select crossings.*,
            -- A inside the bucket at t: the crossing value's own area (t = the
            -- crossing value), else from the piece's ends
            case when t = crossing_value then crossing_area
                when t = a then area_a else area_b end as t_area
        from crossings
    ) as located
),

inside_terms as (
    select
        coalesce(distances.window_start, areas.window_start) as window_start,
        coalesce(distances.group_key, areas.group_key) as group_key,
        distances.ks_inside,
        areas.area_inside
    from (
        select window_start, group_key,
            cast(max(d) as {{ dbl }}) / (cast(max(n_values) as {{ dbl }}) * max(m_values)) as ks_inside
        from inside_distances
        group by window_start, group_key
    ) as distances
    full outer join (
        select pieces_sum.window_start, pieces_sum.group_key,
            pieces_sum.area_nm / (cast(samples.n_values as {{ dbl }}) * samples.m_values) as area_inside
        from (
            select window_start, group_key, sum(area_nm) as area_nm
            from piece_areas
            group by window_start, group_key
        ) as pieces_sum
        inner join samples on samples.window_start = pieces_sum.window_start and samples.group_key = pieces_sum.group_key
    ) as areas
        on areas.window_start = distances.window_start and areas.group_key = distances.group_key
),

-- PSI edges: edge j is the reference value reaching rank ceil(j n / bins), so
-- a value holds edges floor(r_before_value bins / n) + 1 .. floor(r_le bins / n);
-- equal edges (ties in the reference) collapse into one bin boundary. An edge
-- depends on the reference only; the current values up to it, per window.
reference_edges as (
    select reference_ecdf.reference_key, reference_ecdf.group_key, reference_ecdf.bucket, reference_ecdf.value,
        reference_buckets.r_before + reference_ecdf.r_le as r_le
    from reference_ecdf
    inner join reference_buckets
        on reference_buckets.reference_key = reference_ecdf.reference_key
        and reference_buckets.group_key = reference_ecdf.group_key
        and reference_buckets.bucket = reference_ecdf.bucket
    where floor(cast((reference_buckets.r_before + reference_ecdf.r_le - reference_ecdf.r) * {{ psi_bins }} as {{ dbl }}) / reference_buckets.n_values)
            < floor(cast((reference_buckets.r_before + reference_ecdf.r_le) * {{ psi_bins }} as {{ dbl }}) / reference_buckets.n_values)
        and floor(cast((reference_buckets.r_before + reference_ecdf.r_le - reference_ecdf.r) * {{ psi_bins }} as {{ dbl }}) / reference_buckets.n_values) + 1 <= {{ psi_bins - 1 }}
),

window_edges as (
    select window_buckets.window_start, window_buckets.group_key, window_buckets.bucket,
        window_buckets.c_before, reference_edges.value as edge_value, reference_edges.r_le
    from window_buckets
    inner join reference_edges
        on reference_edges.reference_key = window_buckets.reference_key
        and reference_edges.group_key = window_buckets.group_key
        and reference_edges.bucket = window_buckets.bucket
),

-- the current values of the buckets holding an edge only (the as-of join sorts them)
edge_currents as (
    select current_running.window_start, current_running.group_key, current_running.bucket,
        current_running.value, current_running.c_le
    from current_running
    inner join (select distinct window_start, group_key, bucket from window_edges) as edged
        on edged.window_start = current_running.window_start
        and edged.group_key = current_running.group_key
        and edged.bucket = current_running.bucket
),

edges as (
    select
        window_edges.window_start,
        window_edges.group_key,
        window_edges.edge_value,
        window_edges.r_le,
        window_edges.c_before + coalesce(at_edge.c_le, 0) as c_le
    from window_edges
    {{ cm_drift_asof_join('edge_currents', 'at_edge', 'window_edges', ['window_start', 'group_key', 'bucket'], 'window_edges.edge_value', 'at_or_before', 'value') }}
    union all
    select window_start, group_key, lo as edge_value, r_before + rn as r_le, c_before + cn as c_le
    from buckets
    where bucket is not null and not is_candidate
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
            case when coalesce(inside_terms.ks_inside, 0) > totals.ks_lower_bound
                then inside_terms.ks_inside else totals.ks_lower_bound end
        end as ks_statistic,
        case when samples.n_values > 0 and samples.m_values > 0 then
            totals.outside_area + coalesce(inside_terms.area_inside, 0)
        end as wasserstein
    from samples
    left join totals
        on totals.window_start = samples.window_start and totals.group_key = samples.group_key
    left join inside_terms
        on inside_terms.window_start = samples.window_start and inside_terms.group_key = samples.group_key
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
