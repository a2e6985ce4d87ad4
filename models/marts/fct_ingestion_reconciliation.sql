{#-
  Nothing is lost: every raw row is accounted for, per input table. A view, so
  it is always current; it counts whole tables, which is cheap in a columnar
  warehouse and is only paid when someone (or the reconciliation test) asks.
-#}
{{ config(materialized='view') }}

with

raw_inferences as (
    select count(*) as n from {{ source('raw', 'inference_events') }}
),

raw_labels as (
    select count(*) as n from {{ source('raw', 'label_events') }}
),

inference_statuses as (
    select
        sum(case when status = 'accepted' then 1 else 0 end) as staged,
        sum(case when status = 'duplicate' then 1 else 0 end) as duplicates,
        sum(case when status = 'quarantined' then 1 else 0 end) as quarantined
    from {{ ref('stg_inference_rows') }}
),

label_statuses as (
    select
        sum(case when status = 'applied' then 1 else 0 end) as staged,
        sum(case when status = 'superseded' then 1 else 0 end) as duplicates,
        sum(case when status = 'quarantined' then 1 else 0 end) as quarantined
    from {{ ref('stg_label_rows') }}
),

reconciled as (
    select
        'inference_events' as input_table,
        raw_inferences.n as raw_rows,
        coalesce(inference_statuses.staged, 0) as staged_rows,
        coalesce(inference_statuses.duplicates, 0) as duplicate_rows,
        coalesce(inference_statuses.quarantined, 0) as quarantined_rows
    from raw_inferences cross join inference_statuses
    union all
    select
        'label_events',
        raw_labels.n,
        coalesce(label_statuses.staged, 0),
        coalesce(label_statuses.duplicates, 0),
        coalesce(label_statuses.quarantined, 0)
    from raw_labels cross join label_statuses
),

final as (
    select
        input_table,
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(staged_rows as {{ dbt.type_bigint() }}) as staged_rows,
        cast(duplicate_rows as {{ dbt.type_bigint() }}) as duplicate_rows,
        cast(quarantined_rows as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(raw_rows - staged_rows - duplicate_rows - quarantined_rows as {{ dbt.type_bigint() }}) as unaccounted_rows
    from reconciled
)

select * from final
