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
    select window_start, group_key, bucket, reference_key, n_values, m_values, r_before, c_before, rn, cn
    from buckets
    where is_candidate
),

-- the values of every earlier candidate bucket in the order used below:
-- running sums over all candidates at once (one sort, no partitions) minus
-- these offsets, plus the counts before the bucket, are the running counts of
-- each comparison
candidate_shifts as (
    select
        window_start, group_key, bucket, reference_key, n_values, m_values, rn, cn, r_before, c_before,
        r_before - cast(coalesce(sum(rn) over candidate_order, 0) as {{ big }}) as r_shift,
        c_before - cast(coalesce(sum(cn) over candidate_order, 0) as {{ big }}) as c_shift
    from candidates
    window candidate_order as (order by window_start, group_key, bucket rows between unbounded preceding and 1 preceding)
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

-- per feature, the rows in a wanted bucket of their window, with their value
-- and each slice group they belong to (one scan of the rows per feature, no
-- materialised copy of the rows)
{% for feature in features %}
{{ feature.name }}_rows as (
    select bucketed.*
    from {{ cm_drift_bucketed('(
        select
            ' ~ cm_drift_window_start('hour') ~ ' as source_window,
            model_name,
            ' ~ cm_drift_model_version('model_version', feature.type) ~ ' as model_version,
            ' ~ (slices | join(', ')) ~ (', ' if slices) ~ '
            ' ~ cm_drift_finite(feature.name) ~ ' as value
        from ' ~ ref('stg_inference_events') ~ '
        where hour >= (select min(source_window) from source_windows)
            and ' ~ cm_drift_window_start('hour') ~ ' in (select source_window from source_windows)
            and ' ~ cm_drift_finite(feature.name) ~ ' is not null
    )', offsets=false) }} as bucketed
    inner join (select source_window, bucket from wanted_buckets where feature = '{{ feature.name }}') as needed
        on needed.source_window = bucketed.source_window and needed.bucket = bucketed.bucket
),
{% endfor %}

memberships as (
    {% for feature in features -%}
    {% set outer_loop = loop -%}
    {% for column in ['all'] + slices -%}
    select source_window, bucket, value,
        {{ cm_drift_group_key('model_name', 'model_version', "'" ~ column ~ "'", "'all'" if column == 'all' else column, "'" ~ feature.name ~ "'") }} as group_key
    from {{ feature.name }}_rows
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {% endfor -%}
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

-- both samples' values inside each candidate bucket (the reference's are
-- shared by the windows of a block)
candidate_values as (
    select candidate_shifts.*, value_counts.value, value_counts.n as c, cast(0 as {{ big }}) as r
    from candidate_shifts
    inner join value_counts
        on value_counts.sample_key = candidate_shifts.window_start
        and value_counts.group_key = candidate_shifts.group_key
        and value_counts.bucket = candidate_shifts.bucket
        and not value_counts.is_reference
    union all
    select candidate_shifts.*, value_counts.value, cast(0 as {{ big }}) as c, value_counts.n as r
    from candidate_shifts
    inner join value_counts
        on value_counts.sample_key = candidate_shifts.reference_key
        and value_counts.group_key = candidate_shifts.group_key
        and value_counts.bucket = candidate_shifts.bucket
        and value_counts.is_reference
),

-- running counts r_le / c_le = values <= value, both samples, after each
-- value; where both samples hold a value, the current row comes first, so the
-- reference row carries the state after the value (final)
running as (
    select
        sorted.*,
        (sorted.r_le = sorted.r_before + sorted.rn and sorted.c_le = sorted.c_before + sorted.cn) as is_bucket_end
    from (
        select
            window_start, group_key, value, r, n_values, m_values, r_before, c_before, rn, cn,
            lead(value) over value_order as next_value,
            cast(sum(r) over value_order as {{ big }}) + r_shift as r_le,
            cast(sum(c) over value_order as {{ big }}) + c_shift as c_le
        from candidate_values
        window value_order as (order by window_start, group_key, bucket, value, r
            rows between unbounded preceding and current row)
    ) as sorted
),

-- n m |F - G| after every value (final rows only: a current row followed by
-- the reference row of the same value is halfway), and the integral pieces
-- up to the next value inside the bucket
distances as (
    select
        running.*,
        abs(r_le * m_values - c_le * n_values) as d,
        (is_bucket_end or next_value <> value) as is_final,
        case when not is_bucket_end then next_value - value end as step
    from running
),

inside_terms as (
    select
        window_start,
        group_key,
        cast(max(case when is_final then d end) as {{ dbl }}) / (cast(max(n_values) as {{ dbl }}) * max(m_values)) as ks_inside,
        sum(cast(d as {{ dbl }}) * step) / (cast(max(n_values) as {{ dbl }}) * max(m_values)) as area_inside
    from distances
    where m_values > 0
    group by window_start, group_key
),

-- PSI edges: edge j is the reference value reaching rank ceil(j n / bins), so
-- a value holds edges floor(r_before_value bins / n) + 1 .. floor(r_le bins / n);
-- equal edges (ties in the reference) collapse into one bin boundary
edges as (
    select window_start, group_key, value as edge_value, r_le, c_le
    from distances
    where r > 0 and is_final
        and floor(cast((r_le - r) * {{ psi_bins }} as {{ dbl }}) / n_values) < floor(cast(r_le * {{ psi_bins }} as {{ dbl }}) / n_values)
        and floor(cast((r_le - r) * {{ psi_bins }} as {{ dbl }}) / n_values) + 1 <= {{ psi_bins - 1 }}
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
