{#- ['amount'] -> ['sum(case when amount is null then 1 else 0 end) as amount_null_count'] -#}
{% macro cm_null_count_measures(features) %}
    {%- set measures = [] -%}
    {%- for feature in features -%}
        {%- do measures.append('sum(case when ' ~ feature ~ ' is null then 1 else 0 end) as ' ~ feature ~ '_null_count') -%}
    {%- endfor -%}
    {{ return(measures) }}
{% endmacro %}
