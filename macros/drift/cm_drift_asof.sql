{#-
  An as-of join: for each row of the left relation, the row of `right` with the
  same `keys` whose `right_column` is the closest one on the allowed side of
  `left_expression`:
    direction 'at_or_before'  largest right_column <= left_expression
    direction 'at_or_after'   smallest right_column >= left_expression
  Emits the join clause (`left join ... on ...`) for use after `from <left>`.
  right_column must be unique within keys (it is: ECDF values and cumulative
  counts are strictly increasing). DuckDB has a native ASOF JOIN; the portable
  default looks the matching key up with a correlated subquery.
-#}
{% macro cm_drift_asof_join(right, right_alias, left_alias, keys, left_expression, direction, right_column) %}
    {{ return(adapter.dispatch('cm_drift_asof_join', 'classifier_monitor')(right, right_alias, left_alias, keys, left_expression, direction, right_column)) }}
{% endmacro %}

{% macro default__cm_drift_asof_join(right, right_alias, left_alias, keys, left_expression, direction, right_column) -%}
    left join {{ right }} as {{ right_alias }}
        on {% for key in keys %}{{ right_alias }}.{{ key }} = {{ left_alias }}.{{ key }} and {% endfor %}
        {{ right_alias }}.{{ right_column }} = (
            select {{ 'max' if direction == 'at_or_before' else 'min' }}(candidate.{{ right_column }})
            from {{ right }} as candidate
            where {% for key in keys %}candidate.{{ key }} = {{ left_alias }}.{{ key }} and {% endfor %}
                candidate.{{ right_column }} {{ '<=' if direction == 'at_or_before' else '>=' }} {{ left_expression }}
        )
{%- endmacro %}

{% macro duckdb__cm_drift_asof_join(right, right_alias, left_alias, keys, left_expression, direction, right_column) -%}
    asof left join {{ right }} as {{ right_alias }}
        on {% for key in keys %}{{ right_alias }}.{{ key }} = {{ left_alias }}.{{ key }} and {% endfor %}
        {{ left_expression }} {{ '>=' if direction == 'at_or_before' else '<=' }} {{ right_alias }}.{{ right_column }}
{%- endmacro %}
