{#-
  Fixed log-spaced histogram buckets, shared by the latency and label-delay
  histograms. With floor m and growth g:
    bucket 0        values <= m (also 0 and negative values)
    bucket b >= 1   values in (m * g^(b-1), m * g^b]
  The buckets never depend on the data, so histograms of different hours,
  slices or versions merge by adding counts per bucket.

  A percentile is reported as its bucket's representative value
  2 * m * g^b / (g + 1), which is within a relative error of (g - 1) / (g + 1)
  of every value in the bucket (4.8% for g = 1.1, 9.1% for g = 1.2); bucket 0
  is reported as 0 (absolute error at most m).
-#}
{% macro cm_log_bucket(value, floor, growth) %}
    {{ return(adapter.dispatch('cm_log_bucket', 'classifier_monitor')(value, floor, growth)) }}
{% endmacro %}

{% macro default__cm_log_bucket(value, floor, growth) -%}
    case
        when ({{ value }}) is null then null
        when ({{ value }}) <= {{ floor }} then 0
        else cast(ceil(ln(({{ value }}) / {{ floor }}) / ln({{ growth }})) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{#- The value a bucket reports: its log-midpoint, 0 for bucket 0. -#}
{% macro cm_log_bucket_value(bucket, floor, growth) %}
    {{ return(adapter.dispatch('cm_log_bucket_value', 'classifier_monitor')(bucket, floor, growth)) }}
{% endmacro %}

{% macro default__cm_log_bucket_value(bucket, floor, growth) -%}
    case
        when ({{ bucket }}) is null then null
        when ({{ bucket }}) = 0 then cast(0 as {{ cm_type_double() }})
        else 2 * {{ floor }} * power(cast({{ growth }} as {{ cm_type_double() }}), {{ bucket }}) / ({{ growth }} + 1)
    end
{%- endmacro %}

{#- Bucket bounds: (lower, upper]; bucket 0 has no lower bound. -#}
{% macro cm_log_bucket_lower(bucket, floor, growth) -%}
    case when ({{ bucket }}) > 0 then {{ floor }} * power(cast({{ growth }} as {{ cm_type_double() }}), ({{ bucket }}) - 1) end
{%- endmacro %}

{% macro cm_log_bucket_upper(bucket, floor, growth) -%}
    {{ floor }} * power(cast({{ growth }} as {{ cm_type_double() }}), {{ bucket }})
{%- endmacro %}

{#- The relative error bound of a reported percentile, (g - 1) / (g + 1). -#}
{% macro cm_log_bucket_relative_error(growth) %}
    {{ return((growth - 1) / (growth + 1)) }}
{% endmacro %}
