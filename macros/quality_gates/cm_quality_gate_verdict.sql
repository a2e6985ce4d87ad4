{#-
  The verdict of this run's gates: the body of a view over the results the
  gate logs recorded in this invocation. When the model executes, a failed
  critical expectation raises an error that names the suite, the expectation,
  the table, the observed value and a few offending rows: the node fails, dbt
  skips everything downstream of it (the rollups stay exactly as they were)
  and `dbt build` exits non-zero. Failed warning-level expectations are printed
  as warnings and do not stop the run. While a gate log does not exist yet
  (`dbt compile` before the first build) there is nothing to judge, so no query
  runs and only the view's body is rendered.
-#}
{% macro cm_quality_gate_verdict(log_relations) %}
    {%- set this_run = cm_quality_gate_this_run(log_relations) -%}
    {%- set logs_exist = [] -%}
    {%- for relation in log_relations if cm_relation_exists(relation) -%}
        {%- do logs_exist.append(relation) -%}
    {%- endfor -%}
    {%- if execute and logs_exist | length == log_relations | length -%}
        {%- set failed = run_query(
            "select severity, message from (" ~ this_run ~ ") as results where not success"
            ~ " order by case when severity = 'critical' then 0 else 1 end, suite, expectation") -%}
        {%- set critical = [] -%}
        {%- for row in failed.rows -%}
            {%- if row[0] == 'critical' -%}
                {%- do critical.append(row[1]) -%}
            {%- else -%}
                {%- do exceptions.warn('Quality gate warning: ' ~ row[1]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if critical | length > 0 -%}
            {{ exceptions.raise_compiler_error(
                'Quality gate failed: ' ~ critical | length ~ ' critical expectation(s) in run ' ~ invocation_id
                ~ '; the models downstream of this gate were not run, so the rollups are unchanged.\n  - '
                ~ critical | join('\n  - ')
                ~ '\nFix the data or the configuration (docs/quality-gates.md) and run dbt build again.'
                ~ ' Every result of this run is in marts.fct_quality_gate_results.'
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ this_run }}
{% endmacro %}

{% macro cm_quality_gate_this_run(log_relations) %}
    {{ return(adapter.dispatch('cm_quality_gate_this_run', 'classifier_monitor')(log_relations)) }}
{% endmacro %}

{% macro default__cm_quality_gate_this_run(log_relations) -%}
    select run_id, suite, expectation, severity, success, observed_value, table_name, message
    from (
        {{ cm_quality_gate_unpublished(log_relations) }}
    ) as results
    where run_id = '{{ invocation_id }}'
{%- endmacro %}
