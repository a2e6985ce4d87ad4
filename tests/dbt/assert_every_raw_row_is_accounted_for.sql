-- A warning here, not an error: the rollup-reconciliation quality gate checks the same
-- invariant as a critical expectation and records it in fct_quality_gate_results;
-- an error here would skip that gate.
{{ config(severity='warn') }}
-- Reconciliation: raw rows = staged + duplicates (or superseded labels) + quarantined.
-- Rows in the raw tables that no run has staged yet show up here until the next build.
select *
from {{ ref('fct_ingestion_reconciliation') }}
where unaccounted_rows <> 0
