-- A warning here, not an error: the rollup-reconciliation quality gate checks the same
-- invariant as a critical expectation and records it in fct_quality_gate_results;
-- an error here would skip that gate.
{{ config(severity='warn') }}
-- Every hourly key's confusion matrix sums to that key's labeled predictions.
with confusion as (
    select hour, model_name, model_version, slice_name, slice_value, sum(n) as n
    from {{ ref('fct_confusion_matrix_hourly') }}
    group by hour, model_name, model_version, slice_name, slice_value
),

metrics as (
    select hour, model_name, model_version, slice_name, slice_value, n_labeled
    from {{ ref('fct_model_metrics_hourly') }}
    where n_labeled > 0
)

select *
from confusion
full outer join metrics using (hour, model_name, model_version, slice_name, slice_value)
where confusion.n is distinct from metrics.n_labeled
