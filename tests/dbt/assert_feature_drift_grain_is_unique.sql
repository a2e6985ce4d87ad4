-- fct_feature_drift has one row per window x model x version x slice x feature.
select window_start, model_name, model_version, slice_name, slice_value, feature, count(*) as rows_in_grain
from {{ ref('fct_feature_drift') }}
group by window_start, model_name, model_version, slice_name, slice_value, feature
having count(*) > 1
