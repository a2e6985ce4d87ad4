{#-
  Log-linear value buckets for the numeric drift statistics.

  The exact KS statistic, Wasserstein distance and quantile bin edges need the
  two samples in merged sorted order, but sorting millions of values per window
  and slice is what makes a naive implementation slow. Instead every value gets
  a bucket: octave e = floor(log2 |v|) split into `drift_bucket_resolution`
  equal sub-buckets, mirrored for negative values, with 0 (and |v| < 2^-1000)
  in bucket 0. Bucket ids are integers ordered like the values they hold, so
  histograms (hash aggregates, no sort) give both ECDFs exactly at every bucket
  boundary; only the few buckets where the statistic can hide inside a bucket
  are re-read value by value (int_drift_numeric_bins).

  Ids live on a fixed grid of 2^16 sub-buckets per octave whatever the
  resolution (a resolution R uses every 2^16/R-th id), so decoding a bucket's
  base never needs to know R:
      id = +-(1 + (e + 1100) * 65536 + floor((|v| / 2^e - 1) * R) * (65536 / R))

  The octave comes from a floating-point log2 and is then corrected with one
  exact power of two (|v| / 2^e must land in [1, 2)); the division by 2^e, the
  product with R and the offset from the base are all exact in binary floating
  point, so bucket ids are monotone in the value whatever the rounding of
  log2, and offsets carry no rounding error.
-#}

{#- The fixed id grid: sub-buckets per octave. -#}
{% macro cm_drift_bucket_grid() %}
    {{ return(65536) }}
{% endmacro %}

{#- Sub-buckets per octave used for a feature (var drift_bucket_resolution: a
    number for every feature, or a mapping of feature names to numbers with an
    optional 'default'), validated: a power of two from 1 to the grid. Only
    speed depends on it, never a result. -#}
{% macro cm_drift_bucket_resolution(feature_name=none) %}
    {%- set setting = cm_config('drift_bucket_resolution') -%}
    {%- if setting is mapping -%}
        {%- set resolution = setting.get(feature_name, setting.get('default', 512)) -%}
    {%- else -%}
        {%- set resolution = setting -%}
    {%- endif -%}
    {%- set powers = [] -%}
    {%- for exponent in range(17) -%}{%- do powers.append(2 ** exponent) -%}{%- endfor -%}
    {%- if (resolution | string) not in (powers | map('string') | list) -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: drift_bucket_resolution must be a power of two from 1 to " ~ cm_drift_bucket_grid() ~ " (or a mapping of features to such numbers), got " ~ setting) }}
    {%- endif -%}
    {{ return(resolution | int) }}
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
  The rows of `relation` (a relation or parenthesised subquery with a `value`
  column of the feature `feature_name`) with their bucket, as a parenthesised
  subquery adding
    bucket        the bucket id (null for a null value)
    value_offset  value - the bucket's base (its boundary nearest 0), exact
                  (only with offsets=true)
  Layered so that log2 and the power of two are computed once per value:
    seed e0 = floor(log2 |v|), p0 = 2^e0, m0 = |v| / p0 (exact), then the
    octave corrected so that the mantissa m = |v| / 2^e lies in [1, 2).
-#}
{% macro cm_drift_bucketed(relation, feature_name, offsets=true) -%}
    {%- set grid = cm_drift_bucket_grid() -%}
    {%- set resolution = cm_drift_bucket_resolution(feature_name) -%}
    {%- set dbl = cm_type_double() -%}
    (
        select
            split.*,
            case
                when split.octave is null then (case when split.value is not null then 0 end)
                when split.value > 0 then 1 + (split.octave + 1100) * {{ grid }} + split.sub_bucket * {{ grid // resolution }}
                else -(1 + (split.octave + 1100) * {{ grid }} + split.sub_bucket * {{ grid // resolution }})
            end as bucket
            {%- if offsets %},
            case
                when split.octave is null then split.value
                when split.value > 0 then split.value - split.octave_power * (1 + cast(split.sub_bucket as {{ dbl }}) / {{ resolution }})
                else split.value + split.octave_power * (1 + cast(split.sub_bucket as {{ dbl }}) / {{ resolution }})
            end as value_offset
            {%- endif %}
        from (
            select
                corrected.*,
                cast(floor((corrected.mantissa - 1) * {{ resolution }}) as integer) as sub_bucket
            from (
                select
                    seeded.*,
                    case when seeded.seed_mantissa < 1 then seeded.seed_octave - 1
                        when seeded.seed_mantissa >= 2 then seeded.seed_octave + 1
                        else seeded.seed_octave end as octave,
                    case when seeded.seed_mantissa < 1 then seeded.seed_power * 0.5
                        when seeded.seed_mantissa >= 2 then seeded.seed_power * 2
                        else seeded.seed_power end as octave_power,
                    case when seeded.seed_mantissa < 1 then seeded.seed_mantissa * 2
                        when seeded.seed_mantissa >= 2 then seeded.seed_mantissa * 0.5
                        else seeded.seed_mantissa end as mantissa
                from (
                    select powered.*, abs(powered.value) / powered.seed_power as seed_mantissa
                    from (
                        select octaved.*, {{ cm_drift_pow2('octaved.seed_octave') }} as seed_power
                        from (
                            select valued.*,
                                case when abs(valued.value) >= {{ cm_drift_pow2(-1000) }}
                                    then cast(floor({{ cm_drift_log2('abs(valued.value)') }}) as integer) end as seed_octave
                            from {{ relation }} as valued
                        ) as octaved
                    ) as powered
                ) as seeded
            ) as corrected
        ) as split
    )
{%- endmacro %}

{#- The base of a bucket, decoded from its id (the inverse of the id formula above). -#}
{% macro cm_drift_base_of_bucket(bucket) -%}
    {%- set grid = cm_drift_bucket_grid() -%}
    {%- set dbl = cm_type_double() -%}
    {%- set octave_index = 'floor(cast(abs(' ~ bucket ~ ') - 1 as ' ~ dbl ~ ') / ' ~ grid ~ ')' -%}
    case
        when {{ bucket }} = 0 then cast(0 as {{ dbl }})
        else sign({{ bucket }}) * {{ cm_drift_pow2('cast(' ~ octave_index ~ ' as integer) - 1100') }}
            * (1 + (abs({{ bucket }}) - 1 - {{ grid }} * {{ octave_index }}) / {{ grid }})
    end
{%- endmacro %}
