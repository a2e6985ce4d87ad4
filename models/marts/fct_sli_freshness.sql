{#-
  Freshness at the moment you look: per model x version x slice, the newest
  inference and the newest applied label, and their age now. A view, because
  "age at run time" changes every second: a table would be stale, or would
  have to rewrite every row on every run. Ages relative to the newest data
  (data_as_of) are deterministic and show a slice that stopped receiving data
  while the rest kept flowing.
-#}
{{ config(materialized='view') }}

with

events as (
    select
        inferences.model_name,
        inferences.model_version,
        {% for column in cm_config('slice_columns') -%}
        inferences.{{ column }},
        {% endfor -%}
        inferences.event_time,
        inferences.ingested_at,
        labels.labeled_at,
        labels.ingested_at as label_ingested_at
    from {{ ref('stg_inference_events') }} as inferences
    left join {{ ref('stg_label_events') }} as labels on labels.event_id = inferences.event_id
),

newest as (
    {{ cm_group_by_slices('events', ['model_name', 'model_version'], [
        'max(event_time) as newest_event_time',
        'max(ingested_at) as newest_inference_ingested_at',
        'max(labeled_at) as newest_labeled_at',
        'max(label_ingested_at) as newest_label_ingested_at'
    ]) }}
),

final as (
    select
        newest.*,
        {{ cm_data_as_of() }} as data_as_of,
        {{ cm_utc_now() }} as measured_at,
        {{ cm_seconds_between('newest_inference_ingested_at', cm_utc_now()) }} as inference_age_seconds,
        {{ cm_seconds_between('newest_label_ingested_at', cm_utc_now()) }} as label_age_seconds,
        {{ cm_seconds_between('newest_inference_ingested_at', cm_data_as_of()) }} as inference_lag_seconds,
        {{ cm_seconds_between('newest_label_ingested_at', cm_data_as_of()) }} as label_lag_seconds
    from newest
)

select * from final
