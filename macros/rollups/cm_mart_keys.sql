{#- The key of a group of the hourly count marts: every metric of a group
    depends on all of its cells, so a group is what replace_keys recomputes
    for the per-class, model-level and predicted-class marts. -#}
{% macro cm_mart_group_keys() %}
    {{ return(['hour', 'model_name', 'model_version', 'slice_name', 'slice_value']) }}
{% endmacro %}

{#- The key of a confusion-matrix cell: a group and a (true, predicted) class pair. -#}
{% macro cm_mart_cell_keys() %}
    {{ return(cm_mart_group_keys() + ['actual_class', 'predicted_class']) }}
{% endmacro %}
