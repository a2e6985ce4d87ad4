-- fct_slis_hourly counts predictions from staging and labels from the SLI sums;
-- fct_model_metrics_hourly counts both from the prediction counts. Two
-- independent paths must agree on every hourly key. A disagreement means a
-- table was edited or damaged outside the pipeline and a backfill of those
-- hours is due; it warns instead of failing the build, because neither table
-- is wrong about its own inputs and stopping would hold back every other mart.
{{ config(severity='warn') }}
with

slis as (
    select * from {{ ref('fct_slis_hourly') }}
),

model_metrics as (
    select * from {{ ref('fct_model_metrics_hourly') }}
)

select
    coalesce(slis.hour, model_metrics.hour) as hour,
    coalesce(slis.model_name, model_metrics.model_name) as model_name,
    coalesce(slis.model_version, model_metrics.model_version) as model_version,
    coalesce(slis.slice_name, model_metrics.slice_name) as slice_name,
    coalesce(slis.slice_value, model_metrics.slice_value) as slice_value,
    slis.n_predictions as slis_predictions,
    model_metrics.n_predictions as metrics_predictions,
    slis.n_labeled as slis_labeled,
    model_metrics.n_labeled as metrics_labeled,
    slis.n_correct as slis_correct,
    model_metrics.n_correct as metrics_correct
from slis
full outer join model_metrics
    on model_metrics.hour = slis.hour
    and model_metrics.model_name = slis.model_name
    and model_metrics.model_version = slis.model_version
    and model_metrics.slice_name = slis.slice_name
    and model_metrics.slice_value = slis.slice_value
where slis.hour is null
    or model_metrics.hour is null
    or slis.n_predictions <> model_metrics.n_predictions
    or slis.n_labeled <> model_metrics.n_labeled
    or slis.n_correct <> model_metrics.n_correct
