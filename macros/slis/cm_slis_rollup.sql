{#-
  The SLIs of fct_slis_hourly (period='hour') and fct_slis_daily (period='day'),
  computed only from additive hourly inputs, so a day is exactly the merge of
  its hours: counts are summed, the latency and label-delay percentiles come
  from the merged histograms (never from averaged percentiles), ECE from the
  merged confidence bins.

  input_filter: a predicate over `hour` that restricts the inputs to the
  periods an incremental run recomputes (none on a full build). Rows exist for
  periods with at least one accepted inference.
-#}
{% macro cm_slis_rollup(period, input_filter=none) -%}
    {%- set period_expression = 'hour' if period == 'hour' else dbt.date_trunc(period, 'hour') -%}
    {%- set period_hours = {'hour': 1, 'day': 24}[period] -%}
    {%- set dims = ['model_name', 'model_version', 'slice_name', 'slice_value'] -%}
    {%- set keys = [period] + dims -%}
    {%- set features = cm_config('numeric_features') + cm_config('categorical_features') -%}
    {%- set where = ('where ' ~ input_filter) if input_filter else '' -%}
    {%- set dbl = cm_type_double() -%}
    {%- set big = dbt.type_bigint() -%}
    {%- set inference_sums = ['n_predictions', 'n_errors', 'n_latency', 'n_scored', 'score_sum_micro', 'n_unknown_class'] -%}
    {%- set label_sums = ['n_labeled', 'n_correct', 'n_scored', 'score_sum_micro', 'n_brier', 'brier_sum_e9'] -%}
    with

    inference as (
        select
            {{ period_expression }} as {{ period }},
            {{ dims | join(', ') }},
            {% for column in inference_sums -%}
            sum({{ column }}) as {{ column }},
            {% endfor -%}
            {% for feature in features -%}
            sum({{ feature }}_null_count) as {{ feature }}_null_count,
            {% endfor -%}
            max(newest_ingested_at) as newest_ingested_at
        from {{ ref('int_inference_sums_hourly') }}
        {{ where }}
        group by {{ period_expression }}, {{ dims | join(', ') }}
    ),

    latency_histogram as (
        select {{ period_expression }} as {{ period }}, {{ dims | join(', ') }}, bucket, sum(n) as n
        from {{ ref('fct_latency_histogram_hourly') }}
        {{ where }}
        group by {{ period_expression }}, {{ dims | join(', ') }}, bucket
    ),

    latency as (
        {{ cm_histogram_percentiles('latency_histogram', keys, [50, 95, 99], 'latency', 'ms',
                                    cm_config('latency_histogram_floor_ms'), cm_config('latency_histogram_growth')) }}
    ),

    label_buckets as (
        select
            {{ period_expression }} as {{ period }},
            {{ dims | join(', ') }},
            histogram,
            bucket,
            {% for column in label_sums -%}
            sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
            {% endfor -%}
        from {{ ref('int_label_sums_hourly') }}
        {{ where }}
        group by {{ period_expression }}, {{ dims | join(', ') }}, histogram, bucket
    ),

    -- the confidence histogram covers every labeled prediction once; ECE is
    -- sum over bins |correct - confidence sum| / scored, the bin-weighted gap
    labels as (
        select
            {{ keys | join(', ') }},
            {% for column in label_sums -%}
            sum({{ column }}) as {{ column }},
            {% endfor -%}
            -- in integer micro-units: a sum of doubles would depend on the order
            -- the warehouse adds them in, and two builds could differ in the last bit
            sum(case when bucket is not null
                then abs(n_correct * 1000000 - score_sum_micro) end) as calibration_gap_sum_micro,
            sum(case when bucket is not null then n_scored end) as n_binned
        from label_buckets
        where histogram = 'confidence'
        group by {{ keys | join(', ') }}
    ),

    label_delay_histogram as (
        select {{ keys | join(', ') }}, bucket, n_labeled as n
        from label_buckets
        where histogram = 'label_delay'
    ),

    label_delay as (
        {{ cm_histogram_percentiles('label_delay_histogram', keys, [50, 95], 'label_delay', 'seconds',
                                    cm_config('label_delay_histogram_floor_seconds'), cm_config('label_delay_histogram_growth')) }}
    ),

    joined as (
        select
            {% for key in keys -%}
            inference.{{ key }},
            {% endfor -%}
            inference.n_predictions,
            inference.n_errors,
            inference.n_latency,
            latency.latency_p50_ms,
            latency.latency_p95_ms,
            latency.latency_p99_ms,
            inference.n_scored,
            inference.score_sum_micro,
            inference.n_unknown_class,
            {% for feature in features -%}
            inference.{{ feature }}_null_count,
            {% endfor -%}
            inference.newest_ingested_at,
            coalesce(labels.n_labeled, 0) as n_labeled,
            coalesce(labels.n_correct, 0) as n_correct,
            coalesce(labels.n_scored, 0) as n_labeled_scored,
            coalesce(labels.score_sum_micro, 0) as labeled_score_sum_micro,
            coalesce(labels.n_brier, 0) as n_brier,
            coalesce(labels.brier_sum_e9, 0) as brier_sum_e9,
            labels.calibration_gap_sum_micro,
            labels.n_binned,
            label_delay.label_delay_p50_seconds,
            label_delay.label_delay_p95_seconds
        from inference
        {% for relation in ['latency', 'labels', 'label_delay'] -%}
        left join {{ relation }}
            on {% for key in keys -%}
            {{ relation }}.{{ key }} = inference.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
        {% endfor -%}
        where inference.n_predictions > 0
    ),

    final as (
        select
            {{ keys | join(', ') }},
            cast(n_predictions as {{ big }}) as n_predictions,
            cast(n_errors as {{ big }}) as n_errors,
            {{ cm_safe_divide('n_errors', 'n_predictions') }} as error_rate,
            cast(n_latency as {{ big }}) as n_latency,
            latency_p50_ms,
            latency_p95_ms,
            latency_p99_ms,
            cast(n_scored as {{ big }}) as n_scored,
            cast(score_sum_micro as {{ dbl }}) / 1000000 as predicted_score_sum,
            {{ cm_safe_divide('cast(score_sum_micro as ' ~ dbl ~ ') / 1000000', 'n_scored') }} as mean_predicted_score,
            cast(n_unknown_class as {{ big }}) as n_unknown_class,
            {{ cm_safe_divide('n_unknown_class', 'n_predictions') }} as unknown_class_rate,
            {% for feature in features -%}
            cast({{ feature }}_null_count as {{ big }}) as {{ feature }}_null_count,
            {{ cm_safe_divide(feature ~ '_null_count', 'n_predictions') }} as {{ feature }}_null_rate,
            {% endfor -%}
            newest_ingested_at,
            cast(n_labeled as {{ big }}) as n_labeled,
            {{ cm_safe_divide('n_labeled', 'n_predictions') }} as label_coverage,
            cast(n_correct as {{ big }}) as n_correct,
            {{ cm_safe_divide('n_correct', 'n_labeled') }} as accuracy,
            cast(n_labeled_scored as {{ big }}) as n_labeled_scored,
            cast(labeled_score_sum_micro as {{ dbl }}) / 1000000 as labeled_confidence_sum,
            {{ cm_safe_divide('cast(labeled_score_sum_micro as ' ~ dbl ~ ') / 1000000', 'n_labeled_scored') }} as mean_confidence,
            {{ cm_safe_divide('cast(calibration_gap_sum_micro as ' ~ dbl ~ ') / 1000000', 'n_binned') }} as expected_calibration_error,
            cast(n_brier as {{ big }}) as n_brier,
            cast(brier_sum_e9 as {{ dbl }}) / 1000000000 as brier_sum,
            {{ cm_safe_divide('cast(brier_sum_e9 as ' ~ dbl ~ ') / 1000000000', 'n_brier') }} as brier_score,
            label_delay_p50_seconds,
            label_delay_p95_seconds,
            {{ cm_labels_mature_at(period, period_hours) }} as labels_mature_at,
            coalesce({{ cm_labels_mature_at(period, period_hours) }} <= {{ cm_data_as_of() }}, false) as labels_matured,
            {{ cm_sli_bookkeeping_columns() }}
        from joined
    )

    select * from final
{%- endmacro %}
