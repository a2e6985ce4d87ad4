{#-
  The state of one event that the hourly counts depend on: where it is counted
  (hour, model, version, slices) and what it contributes (predicted and actual
  class). A change to any of these is logged by int_event_state_log.
-#}
{% macro cm_state_columns() %}
    {{ return(['hour', 'model_name', 'model_version'] + cm_config('slice_columns') + ['predicted_class', 'actual_class']) }}
{% endmacro %}
