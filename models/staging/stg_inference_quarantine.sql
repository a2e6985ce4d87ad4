-- Quarantined inference rows with the reason.
with classified_rows as (
    select * from {{ ref('stg_inference_rows') }}
)

select * from classified_rows
where status = 'quarantined'
