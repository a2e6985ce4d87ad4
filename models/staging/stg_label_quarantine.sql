-- Quarantined label rows with the reason.
with classified_rows as (
    select * from {{ ref('stg_label_rows') }}
)

select * from classified_rows
where status = 'quarantined'
