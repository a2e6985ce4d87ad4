{#-
  Percentiles from a log-bucket histogram (columns: group keys, bucket, n).
  The p-th percentile is the representative value of the bucket that holds the
  k-th smallest value, k = ceil(p * n / 100) (at least 1): the nearest-rank
  definition, numpy's method='inverted_cdf'. k is computed in integer
  arithmetic, so no percentile lands one rank off through rounding. The result
  is within (g - 1) / (g + 1) of that exact value (cm_log_bucket).

  Columns: <prefix>_p<p>_<unit> for each p in percentiles.
-#}
{% macro cm_histogram_percentiles(histogram, group_keys, percentiles, prefix, unit, floor, growth) -%}
    select
        {% for key in group_keys -%}
        {{ key }},
        {% endfor -%}
        {% for p in percentiles -%}
        {{ cm_log_bucket_value(
            'min(case when cumulative_n >= ' ~ cm_nearest_rank(p, 'total_n') ~ ' then bucket end)',
            floor, growth) }} as {{ prefix }}_p{{ p }}_{{ unit }}{{ ',' if not loop.last }}
        {% endfor -%}
    from (
        select
            {% for key in group_keys -%}
            {{ key }},
            {% endfor -%}
            bucket,
            -- running counts as doubles: exact, and twice as fast as DuckDB's HUGEINT sums (cm_running_count)
            {{ cm_running_count('n') }} over (
                partition by {{ group_keys | join(', ') }}
                order by bucket
                rows between unbounded preceding and current row
            ) as cumulative_n,
            {{ cm_running_count('n') }} over (partition by {{ group_keys | join(', ') }}) as total_n
        from {{ histogram }}
        where n > 0
    ) as cumulative
    group by {{ group_keys | join(', ') }}
{%- endmacro %}

{#- ceil(p * n / 100) for an integer percentile p, at least 1, exact in integers. -#}
{% macro cm_nearest_rank(p, n) -%}
    case when {{ p | int }} * {{ n }} <= 100 then 1 else floor(({{ p | int }} * {{ n }} + 99) / 100.0) end
{%- endmacro %}
