-- The accepted inferences: one row per event_id, typed, deduplicated.
with classified_rows as (
    select * from {{ ref('stg_inference_rows') }}
)

select * from classified_rows
where status = 'accepted'
