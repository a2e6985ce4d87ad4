{#- Generic test: no two rows share the given combination of columns (the model's grain). -#}
{% test cm_unique_combination(model, columns) %}
    {{ return(adapter.dispatch('test_cm_unique_combination', 'classifier_monitor')(model, columns)) }}
{% endtest %}

{% macro default__test_cm_unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
