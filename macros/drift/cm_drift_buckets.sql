{#-
  Log-linear value buckets for the numeric drift statistics.

  The exact KS statistic, Wasserstein distance and quantile bin edges need the
  two samples in merged sorted order, but sorting millions of values per window
  and slice is what makes a naive implementation slow. Instead every value gets
  a bucket: octave e = floor(log2 |v|) split into `cm_drift_bucket_resolution()`
  equal sub-buckets, mirrored for negative values, with 0 (and |v| < 2^-1000)
  in bucket 0. Bucket ids are integers ordered like the values they hold, so
  histograms (hash aggregates, no sort) give both ECDFs exactly at every bucket
  boundary; only the few buckets where the statistic can hide inside a bucket
  are re-read value by value (int_drift_numeric_bins).

  The octave comes from a floating-point log2 and is then corrected with exact
  powers of two, and the sub-bucket is floor((|v| / 2^e - 1) * resolution), where
  both the division by 2^e and the product are exact in binary floating point;
  so bucket ids are monotone in the value whatever the rounding of log2.
-#}
{% macro cm_drift_bucket_resolution() %}
    {{ return(512) }}
{% endmacro %}

{#- Non-finite values (NaN, +-infinity) and magnitudes of 1e308 and more are
    treated as missing: no distance is defined on them. -#}
{% macro cm_drift_finite(value) -%}
    case when {{ value }} > -1e308 and {{ value }} < 1e308 then {{ value }} end
{%- endmacro %}

{#- log2 of a positive double; the result only seeds the exact octave below. -#}
{% macro cm_drift_log2(value) %}
    {{ return(adapter.dispatch('cm_drift_log2', 'classifier_monitor')(value)) }}
{% endmacro %}

{% macro default__cm_drift_log2(value) -%}
    (ln({{ value }}) / ln(2))
{%- endmacro %}

{% macro duckdb__cm_drift_log2(value) -%}
    log2({{ value }})
{%- endmacro %}

{#- 2 ^ integer exponent, exact for the exponents used here. -#}
{% macro cm_drift_pow2(exponent) %}
    {{ return(adapter.dispatch('cm_drift_pow2', 'classifier_monitor')(exponent)) }}
{% endmacro %}

{% macro default__cm_drift_pow2(exponent) -%}
    power(cast(2 as {{ cm_type_double() }}), {{ exponent }})
{%- endmacro %}

{% macro duckdb__cm_drift_pow2(exponent) -%}
    pow(2.0::double, {{ exponent }})
{%- endmacro %}

{#-
  The exact octave of |value| (value finite, |value| >= 2^-1000): an integer e
  with 2^e <= |value| < 2^(e+1). Null for 0 and tiny values (bucket 0).
-#}
{% macro cm_drift_octave(value) -%}
    {%- set seed = 'cast(floor(' ~ cm_drift_log2('abs(' ~ value ~ ')') ~ ') as integer)' -%}
    case
        when {{ value }} is null or abs({{ value }}) < {{ cm_drift_pow2(-1000) }} then null
        when abs({{ value }}) < {{ cm_drift_pow2(seed) }} then {{ seed }} - 1
        when abs({{ value }}) >= {{ cm_drift_pow2(seed ~ ' + 1') }} then {{ seed }} + 1
        else {{ seed }}
    end
{%- endmacro %}

{#- Sub-bucket 0 .. resolution-1 of |value| inside its octave. -#}
{% macro cm_drift_sub_bucket(value, octave) -%}
    cast(floor((abs({{ value }}) / {{ cm_drift_pow2(octave) }} - 1) * {{ cm_drift_bucket_resolution() }}) as integer)
{%- endmacro %}

{#- The bucket id: 0 for zero/tiny, +-(1 + (octave + 1100) * resolution + sub_bucket) otherwise. -#}
{% macro cm_drift_bucket(value, octave) -%}
    case
        when {{ value }} is null then null
        when {{ octave }} is null then 0
        when {{ value }} > 0 then 1 + ({{ octave }} + 1100) * {{ cm_drift_bucket_resolution() }} + {{ cm_drift_sub_bucket(value, octave) }}
        else -(1 + ({{ octave }} + 1100) * {{ cm_drift_bucket_resolution() }} + {{ cm_drift_sub_bucket(value, octave) }})
    end
{%- endmacro %}

{#- The bucket's base: the boundary closest to 0. Values are stored as offsets from
    it, which keeps the per-bucket sums free of cancellation. -#}
{% macro cm_drift_bucket_base(value, octave) -%}
    case
        when {{ value }} is null then null
        when {{ octave }} is null then cast(0 as {{ cm_type_double() }})
        else sign({{ value }}) * {{ cm_drift_pow2(octave) }}
            * (1 + cast({{ cm_drift_sub_bucket(value, octave) }} as {{ cm_type_double() }}) / {{ cm_drift_bucket_resolution() }})
    end
{%- endmacro %}

{#- The base of a bucket, decoded from its id (the inverse of cm_drift_bucket). -#}
{% macro cm_drift_base_of_bucket(bucket) -%}
    {%- set resolution = cm_drift_bucket_resolution() -%}
    {%- set octave_index = 'floor(cast(abs(' ~ bucket ~ ') - 1 as ' ~ cm_type_double() ~ ') / ' ~ resolution ~ ')' -%}
    case
        when {{ bucket }} = 0 then cast(0 as {{ cm_type_double() }})
        else sign({{ bucket }}) * {{ cm_drift_pow2('cast(' ~ octave_index ~ ' as integer) - 1100') }}
            * (1 + (abs({{ bucket }}) - 1 - {{ resolution }} * {{ octave_index }}) / {{ resolution }})
    end
{%- endmacro %}

{#- A relation's rows with the bucket of their `value` column and the value's
    offset from the bucket base (as a parenthesised subquery). -#}
{% macro cm_drift_bucketed(relation) -%}
    (
        select
            with_octave.*,
            {{ cm_drift_bucket('value', 'octave') }} as bucket,
            value - {{ cm_drift_bucket_base('value', 'octave') }} as value_offset
        from (select valued.*, {{ cm_drift_octave('value') }} as octave from {{ relation }} as valued) as with_octave
    )
{%- endmacro %}
