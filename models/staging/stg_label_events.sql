-- The label in force per event_id (the latest valid one).
with classified_rows as (
    select * from {{ ref('stg_label_rows') }}
)

select * from classified_rows
where status = 'applied'
