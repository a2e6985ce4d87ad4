{#-
  Top-label calibration per hourly key x confidence bin (10 fixed bins of
  predicted_score: [0, 0.1), ..., [0.9, 1.0]), over labeled predictions that
  have a score. The sums are additive, so ECE over any period, slice or version
  set is sum over bins |n_correct - confidence_sum| / sum n_labeled of the
  summed rows. A view over the delta-maintained label sums.
-#}
{{ config(materialized='view') }}

with

label_sums as (
    select * from {{ ref('int_label_sums_hourly') }}
    where histogram = 'confidence' and bucket is not null and n_labeled > 0
),

final as (
    select
        hour,
        model_name,
        model_version,
        slice_name,
        slice_value,
        bucket as confidence_bin,
        cast(bucket as {{ cm_type_double() }}) / 10 as bin_lower,
        cast(bucket + 1 as {{ cm_type_double() }}) / 10 as bin_upper,
        n_labeled,
        n_correct,
        cast(score_sum_micro as {{ cm_type_double() }}) / 1000000 as confidence_sum,
        {{ cm_safe_divide('n_correct', 'n_labeled') }} as accuracy,
        {{ cm_safe_divide('cast(score_sum_micro as ' ~ cm_type_double() ~ ') / 1000000', 'n_labeled') }} as mean_confidence
    from label_sums
)

select * from final
