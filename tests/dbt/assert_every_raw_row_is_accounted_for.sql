-- Reconciliation: raw rows = staged + duplicates (or superseded labels) + quarantined.
-- Rows in the raw tables that no run has staged yet show up here until the next build.
select *
from {{ ref('fct_ingestion_reconciliation') }}
where unaccounted_rows <> 0
