{#-
  Aggregate a relation once per configured slice column plus the overall group,
  producing the hourly key's slice_name / slice_value. One pass with grouping
  sets instead of one scan per slice.

  relation:  a CTE or relation with the slice columns and the other keys
  keys:      key columns kept in every group (hour, model_name, ...)
  measures:  list of aggregate expressions with aliases, e.g. ['sum(n) as n']
-#}
{% macro cm_group_by_slices(relation, keys, measures) %}
    {{ return(adapter.dispatch('cm_group_by_slices', 'classifier_monitor')(relation, keys, measures)) }}
{% endmacro %}

{% macro default__cm_group_by_slices(relation, keys, measures) -%}
    {%- set slices = cm_config('slice_columns') -%}
    select
        {% for key in keys -%}
        {{ key }},
        {% endfor -%}
        {% if slices -%}
        case
            {% for column in slices -%}
            when grouping({{ column }}) = 0 then '{{ column }}'
            {% endfor -%}
            else 'all'
        end as slice_name,
        case
            {% for column in slices -%}
            when grouping({{ column }}) = 0 then {{ column }}
            {% endfor -%}
            else 'all'
        end as slice_value,
        {%- else -%}
        {#- no slice columns: the overall group only #}
        'all' as slice_name,
        'all' as slice_value,
        {%- endif %}
        {{ measures | join(',\n        ') }}
    from {{ relation }}
    group by grouping sets (
        {% for column in slices -%}
        ({{ (keys + [column]) | join(', ') }}),
        {% endfor -%}
        ({{ keys | join(', ') }})
    )
{%- endmacro %}
