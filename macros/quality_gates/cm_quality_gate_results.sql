{#-
  The columns of marts.fct_quality_gate_results, in order. The gate logs hold
  the same columns plus their watermarks (python/classifier_monitor/gates/results.py
  lists both; a test checks the two lists agree).
-#}
{% macro cm_quality_gate_result_columns() %}
    {{ return([
        'run_id', 'suite', 'suite_version', 'expectation', 'expectation_type', 'column_name', 'severity',
        'success', 'observed_value', 'element_count', 'unexpected_count', 'unexpected_rate',
        'allowed_unexpected_rate', 'table_name', 'batch_rows', 'batch_start', 'batch_end', 'sample_rows',
        'message', 'validated_at'
    ]) }}
{% endmacro %}

{#-
  The rows of gate logs that the results table does not hold yet: a run's
  results are published once per suite, whichever step publishes them.
-#}
{% macro cm_quality_gate_unpublished(log_relations, results_relation=none) %}
    {{ return(adapter.dispatch('cm_quality_gate_unpublished', 'classifier_monitor')(log_relations, results_relation)) }}
{% endmacro %}

{% macro default__cm_quality_gate_unpublished(log_relations, results_relation) -%}
    {%- set columns = cm_quality_gate_result_columns() | join(', ') -%}
    select {{ columns }} from (
        {% for log in log_relations -%}
        select {{ columns }} from {{ log }}
        {%- if not loop.last %}
        union all
        {% endif -%}
        {%- endfor %}
    ) as gate_results
    {%- if results_relation is not none %}
    where not exists (
        select 1 from {{ results_relation }} as published
        where published.run_id = gate_results.run_id and published.suite = gate_results.suite
    )
    {%- endif %}
{%- endmacro %}

{#-
  Post-hook of the reconciliation gate: it runs after the marts, downstream of
  fct_quality_gate_results, so it appends its own results to it.
-#}
{% macro cm_quality_gate_publish(log_relation, results_relation) %}
    {%- set columns = cm_quality_gate_result_columns() | join(', ') -%}
    insert into {{ results_relation }} ({{ columns }})
    {{ cm_quality_gate_unpublished([log_relation], results_relation) }}
{% endmacro %}
